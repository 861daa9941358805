/*
 * Errors: every fallible vmsim_ call returns 0 or a negative errno and, when
 * given a struct vmsim_error, fills it with one printable line.  For input
 * files the line reads "FILE:LINE:COL: message".
 */
#ifndef VMSIM_ERROR_H
#define VMSIM_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define VMSIM_API __attribute__((visibility("default")))

struct vmsim_error {
	int code;		/* negative errno, 0 when clear */
	char msg[512];		/* one line, no trailing newline */
};

/*
 * -ENOMEM is the simulated kernel's answer when the simulated machine runs
 * out of memory, and also what a call returns when the host refuses memory
 * to the simulator.  To tell them apart: the host's refusals since the
 * program started, counted process-wide; if the count moved across a call,
 * the host ran out and the machine's state is not to be trusted.
 */
VMSIM_API unsigned long vmsim_host_oom_count(void);

#ifdef __cplusplus
}
#endif
#endif

/* vmsim-cli translate: one translation through the MMU, optionally explained. */
#ifndef VMSIM_CLI_CMD_TRANSLATE_H
#define VMSIM_CLI_CMD_TRANSLATE_H

#include <stdbool.h>

struct vmsim_machine;

/* argv: the arguments after "translate".  0 ok (a fault is a result),
 * 2 bad usage (message on stderr). */
int cmd_translate(struct vmsim_machine *m, int argc, char **argv, bool json);

#endif

#ifndef VMSIM_CLI_CMD_REPLAY_H
#define VMSIM_CLI_CMD_REPLAY_H

#include <stdbool.h>

struct vmsim_machine;

/* vmsim-cli replay [--format F] [--task-layout L] [--interval N] [-q] TRACE */
int cmd_replay(struct vmsim_machine *m, int argc, char **argv, bool json);

#endif

/* vmsim-cli exec: load a real ELF as load_elf_binary would and show the result. */
#ifndef VMSIM_CLI_CMD_EXEC_H
#define VMSIM_CLI_CMD_EXEC_H

#include <stdbool.h>

struct vmsim_machine;

/* argv: the arguments after "exec".  0 ok, 2 bad usage or a file that
 * cannot be executed (one line on stderr naming it). */
int cmd_exec(struct vmsim_machine *m, int argc, char **argv, bool json);

#endif

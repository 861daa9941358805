/* vmsim-cli layout: the machine's virtual address-space map. */
#ifndef VMSIM_CLI_CMD_LAYOUT_H
#define VMSIM_CLI_CMD_LAYOUT_H

#include <stdbool.h>

struct vmsim_machine;

/* argv: the arguments after "layout" ([--svg FILE]).  Prints the map (text
 * or JSON) on stdout and, with --svg, draws it into FILE.  0 ok, 2 bad
 * usage or a file that cannot be written (message on stderr). */
int cmd_layout(struct vmsim_machine *m, int argc, char **argv, bool json);

#endif

/* errno names as the kernel spells them ("ENOMEM"), both ways. */
#ifndef VMSIM_UTIL_ERRNAME_H
#define VMSIM_UTIL_ERRNAME_H

/* "ENOMEM" for 12 or -12; "E?" for an unknown number. */
const char *errno_name(int err);
/* The name, or "errno N" for a number without one (a MAP_FIXED address in
 * -4095..-1 comes back as itself, any of them).  Returns @buf or a name. */
const char *errno_str(int err, char buf[24]);
/* 12 for "ENOMEM"; 0 if unknown. */
int errno_from_name(const char *name);

#endif

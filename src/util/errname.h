/* errno names as the kernel spells them ("ENOMEM"), both ways. */
#ifndef VMSIM_UTIL_ERRNAME_H
#define VMSIM_UTIL_ERRNAME_H

/* "ENOMEM" for 12 or -12; "E?" for an unknown number. */
const char *errno_name(int err);
/* 12 for "ENOMEM"; 0 if unknown. */
int errno_from_name(const char *name);

#endif

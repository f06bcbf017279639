#ifndef CSHIMS_H
#define CSHIMS_H
/* Ask the kernel to send `signal` to this process when its parent dies (prctl is variadic). */
int cshims_set_parent_death_signal(int signal);
#endif

#ifndef CSHIMS_H
#define CSHIMS_H
#include <stdint.h>
#include <time.h>

/* Ask the kernel to send `signal` to this process when its parent dies (prctl is variadic). */
int cshims_set_parent_death_signal(int signal);

/* Atomic access to words in memory shared between processes (an anonymous MAP_SHARED mapping), where
   Swift's Atomic type cannot be placed. */
static inline void cshims_store_u64(uint64_t *address, uint64_t value) {
    __atomic_store_n(address, value, __ATOMIC_RELEASE);
}
static inline uint64_t cshims_load_u64(const uint64_t *address) {
    return __atomic_load_n(address, __ATOMIC_ACQUIRE);
}
static inline uint64_t cshims_add_u64(uint64_t *address, uint64_t value) {
    return __atomic_add_fetch(address, value, __ATOMIC_RELAXED);
}
/* Raises the word to `value` if it is lower (a high-water mark). */
static inline void cshims_max_u64(uint64_t *address, uint64_t value) {
    uint64_t seen = __atomic_load_n(address, __ATOMIC_ACQUIRE);
    while (seen < value &&
           !__atomic_compare_exchange_n(address, &seen, value, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {}
}

/* A System V semaphore set made of two semaphores, for MachineHashingBound (BlockingWork): semctl is
   variadic and takes a union, which Swift does not import. Each returns -1 with errno set on failure. */
/* Creates a private set (IPC_PRIVATE, mode 0600): semaphore 0 holds `slots`, semaphore 1 starts at zero. */
int cshims_semaphore_set_create(int slots);
/* Adds `delta` to semaphore `number` of the set with SEM_UNDO (the kernel reverts what a process still holds
   when it dies), waiting while that would go below zero; retried on EINTR. */
int cshims_semaphore_change(int set, unsigned short number, short delta);
/* The value of semaphore `number` (GETVAL). */
int cshims_semaphore_value(int set, int number);
/* Removes the set (IPC_RMID): waiting processes get EIDRM. */
int cshims_semaphore_set_remove(int set);

/* Nanoseconds of CLOCK_MONOTONIC: deadlines that must not move with the wall clock, and the same clock in
   every process of the machine (the master compares workers' heartbeats with it). The one definition for
   every module. */
__attribute__((swift_name("monotonicNanoseconds()")))
static inline uint64_t cshims_monotonic_nanoseconds(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
}
#endif

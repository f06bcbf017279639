#include "CShims.h"
#include <errno.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/sem.h>

int cshims_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

/* The caller defines union semun (sem.h does not). */
union cshims_semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

int cshims_semaphore_set_create(int slots) {
    int set = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    if (set < 0) return -1;
    unsigned short values[2] = {(unsigned short)slots, 0};
    union cshims_semun argument = {.array = values};
    if (semctl(set, 0, SETALL, argument) < 0) {
        int saved = errno;
        semctl(set, 0, IPC_RMID);
        errno = saved;
        return -1;
    }
    return set;
}

int cshims_semaphore_change(int set, unsigned short number, short delta) {
    struct sembuf operation = {.sem_num = number, .sem_op = delta, .sem_flg = SEM_UNDO};
    int result;
    do {
        result = semop(set, &operation, 1);
    } while (result < 0 && errno == EINTR);
    return result;
}

int cshims_semaphore_value(int set, int number) {
    return semctl(set, number, GETVAL);
}

int cshims_semaphore_set_remove(int set) {
    return semctl(set, 0, IPC_RMID);
}

#define _GNU_SOURCE
#include "rand.h"

#include "clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <unistd.h>

static _Thread_local uint64_t state[4];
static _Thread_local unsigned seeded_generation; /* 0: never seeded. */

/* Bumped in a forked child so no two processes share a random stream (or a UUID). */
static atomic_uint generation = 1;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void after_fork_in_child(void)
{
    atomic_fetch_add(&generation, 1);
}

static void install_atfork(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void seed(void)
{
    pthread_once(&atfork_once, install_atfork);
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s) {
        /* No entropy source: time and pid still keep two processes apart. */
        s = (uint64_t)mqpx_mono_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&s;
    }
    for (int i = 0; i < 4; i++) {
        state[i] = splitmix(&s);
    }
    seeded_generation = atomic_load(&generation);
}

uint64_t mqpx_rand_u64(void)
{
    if (seeded_generation != atomic_load_explicit(&generation, memory_order_relaxed)) {
        seed();
    }
    uint64_t result = rotl(state[1] * 5, 7) * 9;
    uint64_t t = state[1] << 17;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= t;
    state[3] = rotl(state[3], 45);
    return result;
}

double mqpx_rand_unit(void)
{
    return (double)(mqpx_rand_u64() >> 11) * 0x1.0p-53;
}

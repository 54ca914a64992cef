/* The CPUs painsim may run on (sim/cli/cli_util.h).  A file of its own:
 * sched_getaffinity needs _GNU_SOURCE before any system header. */
#define _GNU_SOURCE
#include <sched.h>

#include "cli_util.h"

int cli_affinity_cpus(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    return CPU_COUNT(&set);
}

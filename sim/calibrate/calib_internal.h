/* calib_internal.h (internal): the calibration problem behind psim_calib. */
#ifndef PAINSIM_CALIB_INTERNAL_H
#define PAINSIM_CALIB_INTERNAL_H

#include "painsim/calibrate.h"

typedef struct calib_scenario {
    char name[PSIM_NAME_MAX];
    char path[PSIM_ERROR_FILE_MAX];
    char *text;   /* the scenario file as read (owned) */
    size_t len;
} calib_scenario;

struct psim_calib {
    char targets_path[PSIM_ERROR_FILE_MAX];
    int n_scen;
    calib_scenario scen[PSIM_CALIB_MAX_SCENARIOS]; /* [0]: the command line's */
    int n_params;
    psim_calib_param params[PSIM_CALIB_MAX_PARAMS];
    int n_targets;
    psim_calib_target targets[PSIM_CALIB_MAX_TARGETS];
    psim_calib_settings settings;
};

#endif

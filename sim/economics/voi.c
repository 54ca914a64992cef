/* Placeholder: the value-of-information estimators (include/painsim/voi.h) are being written. */
#include "painsim/voi.h"

/* Probabilistic sensitivity analysis: being written. */
#include <criterion/criterion.h>

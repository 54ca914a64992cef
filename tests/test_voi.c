/* Value of information (include/painsim/voi.h): being written. */
#include <criterion/criterion.h>

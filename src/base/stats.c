/* base/stats.c - the confidence interval every measured rate carries:
 * evaluation figures, published figures and walk tests alike. */
#include "lfr/base.h"

#include <math.h>

void lfr_wilson95(int64_t k, int64_t n, double *lo, double *hi)
{
    if (n <= 0) { /* nothing measured: any rate */
        *lo = 0;
        *hi = 1;
        return;
    }
    const double z = 1.959963984540054;
    double p = (double)k / (double)n, z2n = z * z / (double)n;
    double centre = (p + z2n / 2) / (1 + z2n);
    double half = z * sqrt(p * (1 - p) / (double)n + z2n / (4.0 * (double)n)) / (1 + z2n);
    *lo = fmax(0, centre - half);
    *hi = fmin(1, centre + half);
}

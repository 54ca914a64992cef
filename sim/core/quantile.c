/* Quantiles of the parameter distributions of MODEL.md section 6 (the low
 * and high values of a tornado: the 2.5% and 97.5% points).
 *
 * normal: Acklam's rational approximation (relative error 1.15e-9) refined by
 * one Halley step on erfc, which brings it to double precision; lognormal and
 * uniform follow from it.  gamma and beta: the regularised incomplete gamma
 * and beta functions (series and Lentz continued fractions, as in Press et
 * al., Numerical Recipes, 3rd ed., sections 6.2 and 6.4), inverted by
 * bisection to the last bit, so the result is as good as the function. */
#include <math.h>
#include <string.h>
#include <stdlib.h>

#include "painsim/scenario.h"

static double norm_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01,  -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (p <= 0.0)
        return -HUGE_VAL;
    if (p >= 1.0)
        return HUGE_VAL;
    double x;
    if (p < 0.02425) {
        double q = sqrt(-2.0 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else if (p <= 1.0 - 0.02425) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    } else {
        double q = sqrt(-2.0 * log(1.0 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    /* one Halley step: e = Phi(x) - p */
    double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * 2.5066282746310002 * exp(0.5 * x * x); /* sqrt(2 pi) */
    return x - u / (1.0 + 0.5 * x * u);
}

/* Regularised lower incomplete gamma P(k, x). */
static double gamma_p(double k, double x)
{
    if (x <= 0.0)
        return 0.0;
    double lg = k * log(x) - x - lgamma(k);
    if (x < k + 1.0) {
        /* series: sum x^n / (k (k+1) ... (k+n)) */
        double ap = k, sum = 1.0 / k, del = sum;
        for (int n = 0; n < 10000; n++) {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if (fabs(del) < fabs(sum) * 1e-17)
                break;
        }
        return sum * exp(lg);
    }
    /* continued fraction for Q(k, x) (modified Lentz) */
    const double tiny = 1e-300;
    double bb = x + 1.0 - k, cc = 1.0 / tiny, dd = 1.0 / bb, h = dd;
    for (int n = 1; n < 10000; n++) {
        double an = -n * (n - k);
        bb += 2.0;
        dd = an * dd + bb;
        if (fabs(dd) < tiny)
            dd = tiny;
        cc = bb + an / cc;
        if (fabs(cc) < tiny)
            cc = tiny;
        dd = 1.0 / dd;
        double del = dd * cc;
        h *= del;
        if (fabs(del - 1.0) < 1e-17)
            break;
    }
    return 1.0 - exp(lg) * h;
}

/* Continued fraction of the incomplete beta function (modified Lentz). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m < 10000; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-16)
            break;
    }
    return h;
}

/* Regularised incomplete beta I_x(a, b). */
static double beta_i(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(lbt) * beta_cf(a, b, x) / a;
    return 1.0 - exp(lbt) * beta_cf(b, a, 1.0 - x) / b;
}

/* The x in [lo, hi] with cdf(x) = p, by bisection until the bracket stops shrinking. */
static double invert(double (*cdf)(double, double, double), double s1, double s2, double p, double lo, double hi)
{
    for (int it = 0; it < 2000; it++) {
        double mid = 0.5 * (lo + hi);
        if (!(mid > lo && mid < hi))
            break;
        if (cdf(s1, s2, mid) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static double gamma_cdf(double k, double unused, double x)
{
    (void)unused;
    return gamma_p(k, x);
}

static int cmp_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The p quantile of the column's values, linear between order statistics
 * (R's type 7); NaN when out of memory. */
static double empirical_quantile(const psim_dist *d, double p)
{
    int n = d->n_values;
    if (n <= 0 || !d->values)
        return NAN;
    double *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return NAN;
    memcpy(v, d->values, (size_t)n * sizeof *v);
    qsort(v, (size_t)n, sizeof *v, cmp_value);
    double h = (n - 1) * (p < 0 ? 0 : (p > 1 ? 1 : p));
    int k = (int)floor(h);
    double q = k + 1 < n ? v[k] + (h - k) * (v[k + 1] - v[k]) : v[n - 1];
    free(v);
    return q;
}

double psim_dist_quantile(const psim_dist *d, double p)
{
    switch (d->kind) {
    case PSIM_DIST_FIXED: return d->p1;
    case PSIM_DIST_NORMAL: return d->p1 + d->p2 * norm_quantile(p);
    case PSIM_DIST_LOGNORMAL: return d->p1 * exp(d->p2 * norm_quantile(p));
    case PSIM_DIST_UNIFORM: return d->p1 + p * (d->p2 - d->p1);
    case PSIM_DIST_BETA: return invert(beta_i, d->p1, d->p2, p, 0.0, 1.0);
    case PSIM_DIST_GAMMA: {
        /* in units of the scale: bracket the quantile of a gamma(k, 1) */
        double hi = d->p1 > 1.0 ? d->p1 : 1.0;
        while (gamma_p(d->p1, hi) < p && hi < 1e300)
            hi *= 2.0;
        return d->p2 * invert(gamma_cdf, d->p1, 0.0, p, 0.0, hi);
    }
    case PSIM_DIST_DIRICHLET: return NAN;
    case PSIM_DIST_EMPIRICAL: return empirical_quantile(d, p);
    }
    return NAN;
}

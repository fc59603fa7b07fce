/*-------------------------------------------------------------------------
 *
 * rmi_train.c
 *	  Training of the two-stage Recursive Model Index: the record fits, the
 *	  three root fitters (linear, cubic, spline), and the choice of the
 *	  number of records and the root kind by a cost model of expected pages
 *	  per lookup under a cache budget (rmi_choose).
 *
 * See rmi.h for what the model predicts.  Both stages are the same problem:
 * given a sorted run of keys k(0..m), entry r is the answer for every x in
 * (k(r), k(r + 1)], so a model must map x to the r whose interval holds it.
 * For a record the run is its own leaves' low fences; for the root it is
 * every record's first_key.  One fitter serves both (see KeySeq).
 *
 * Every step of a prediction (rmi.c) is monotone non-decreasing in x, so
 * over an interval of x the prediction is smallest at the left end and
 * largest at the right end.  The error bounds therefore come from
 * evaluating the real prediction function, the one lookups call, at the two
 * ends of every non-empty interval: that is exact for every int64 x, not
 * only for the keys seen at training.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rmi.h"
#include "rmi_internal.h"

/*
 * A sorted run of keys as one model sees it: a record's keys (stride
 * sizeof(int64_t)) or the first_key of every record (stride
 * sizeof(RmiRecord)).  The stride is in bytes.
 */
typedef struct KeySeq
{
	const char *keys;			/* address of entry 0's key */
	size_t		stride;			/* bytes from one entry's key to the next */
	uint32_t	count;			/* entries, >= 1 */
	int			open_below;		/* entry 0 also answers every x <= k(0) */
	int64_t		upper;			/* last entry answers x up to this */
} KeySeq;

/* One candidate model, wrapped so that one fitter can drive either stage. */
typedef struct LinearModel
{
	int			is_root;
	RmiRoot		root;
	RmiRecord	rec;
} LinearModel;

static inline int64_t
seq_key(const KeySeq *seq, uint32_t r)
{
	int64_t		k;

	memcpy(&k, seq->keys + (size_t) r * seq->stride, sizeof(k));
	return k;
}

/*
 * The closed interval [*left, *right] of x for which entry r is the answer.
 * Returns 0 when no x has that answer: r is followed by an equal key, or its
 * key is INT64_MAX (nothing lies above it, and k + 1 would overflow).
 *
 * Only the answer interval is considered, not the range the lookup routes
 * to this record: the two coincide (an x is routed to the record holding
 * rmi_target(x), by construction of rmi_route), so no intersection is needed.
 */
static int
seq_interval(const KeySeq *seq, uint32_t r, int64_t *left, int64_t *right)
{
	int64_t		k = seq_key(seq, r);

	/* Both ends are always set, also for an empty interval. */
	*right = (r + 1 < seq->count) ? seq_key(seq, r + 1) : seq->upper;
	if (r == 0 && seq->open_below)
		*left = INT64_MIN;
	else if (k == INT64_MAX)
	{
		*left = k;
		return 0;
	}
	else
		*left = k + 1;

	return *left <= *right;
}

/* ---------------------------------------------------------------- training */

static void
model_set(LinearModel *m, double slope, double intercept)
{
	if (m->is_root)
	{
		m->root.type = RMI_ROOT_LINEAR;
		m->root.coef[0] = intercept;
		m->root.coef[1] = slope;
		m->root.coef[2] = 0.0;
		m->root.coef[3] = 0.0;
	}
	else
	{
		m->rec.intercept = intercept;
		m->rec.slope = slope;
	}
}

static void
model_set_intercept(LinearModel *m, double intercept)
{
	if (m->is_root)
		m->root.coef[0] = intercept;
	else
		m->rec.intercept = intercept;
}

/* The lookup-time prediction: the bounds are only exact if this is it. */
static uint32_t
model_predict(const LinearModel *m, int64_t x)
{
	if (m->is_root)
		return rmi_root_predict(&m->root, x);
	return rmi_record_predict(&m->rec, x);
}

static int64_t
model_base(const LinearModel *m)
{
	return m->is_root ? m->root.min_key : m->rec.first_key;
}

/* The prediction before the intercept is added and the sum floored. */
static double
model_shape(const LinearModel *m, int64_t x)
{
	if (!m->is_root)
		return rmi_linear_shape(m->rec.first_key, m->rec.slope, x);
	if (m->root.type == RMI_ROOT_CUBIC)
		return rmi_cubic_shape(m->root.min_key, m->root.coef, x);
	if (m->root.type == RMI_ROOT_SPLINE)
		return rmi_spline_shape(&m->root, x);
	return rmi_linear_shape(m->root.min_key, m->root.coef[1], x);
}

/*
 * The least x for which entry r is max { i : k(i) <= x }, the last position
 * a search for x may start at (see rmi.h: a key equal to a fence may start
 * at that fence): k(r) itself, or INT64_MIN for entry 0 of an open_below
 * sequence.  Returns 0 when r is followed by an equal key, which is never
 * that position (the last copy is).  Within a sequence the last entry
 * answers up to upper inclusive, so it has such an x even when upper
 * equals its key (a run of equal keys continuing into the next record).
 */
static int
seq_first_at_or_after(const KeySeq *seq, uint32_t r, int64_t *left)
{
	int64_t		k = seq_key(seq, r);

	if (r + 1 < seq->count && seq_key(seq, r + 1) == k)
		return 0;
	*left = (r == 0 && seq->open_below) ? INT64_MIN : k;
	return 1;
}

/*
 * Exact error bounds of m over seq; returns the window width they imply.
 *
 * The window at x must hold every position a search for x may start at:
 * from max { i : k(i) < x } (the target, see rmi.h; entry 0 when no key is
 * below x) to max { i : k(i) <= x }.
 * err_lo bounds the overestimate against the former, at the right end of
 * each entry's answer interval (seq_interval); err_hi the underestimate
 * against the latter, at the least x for which each entry is it
 * (seq_first_at_or_after).  The prediction is monotone, so these ends give
 * the largest errors over every x.
 */
static int64_t
model_bounds(const KeySeq *seq, const LinearModel *m,
			 int64_t *err_lo, int64_t *err_hi)
{
	int64_t		lo = 0;
	int64_t		hi = 0;
	uint32_t	r;

	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;

		if (seq_first_at_or_after(seq, r, &left))
		{
			int64_t		under = (int64_t) r - (int64_t) model_predict(m, left);

			if (under > hi)
				hi = under;
		}
		/*
		 * Entry 0 answers every x a lookup brings to the sequence up to the
		 * next key, its own key included (a search for x starts at a
		 * record's first fence when the root sends it there), even when
		 * that key repeats.
		 */
		if (r == 0)
			right = seq->count > 1 ? seq_key(seq, 1) : seq->upper;
		if (r == 0 || seq_interval(seq, r, &left, &right))
		{
			int64_t		over = (int64_t) model_predict(m, right) - (int64_t) r;

			if (over > lo)
				lo = over;
		}
	}
	*err_lo = lo;
	*err_hi = hi;
	return lo + hi;
}

/*
 * The training points are one per non-empty answer interval: (left end -
 * base, r).  Entries followed by an equal key have no interval, so
 * duplicates contribute only their last copy (the answer just above a
 * duplicated key) and cannot drag a fit; and a run of equal keys at the very
 * start still shows up as a step, which lets a record of all-equal keys be
 * fitted exactly.
 *
 * A fit may leave out the first tlo and the last thi points (see
 * fit_linear); point_range finds the entries [*r_lo, *r_hi] of the points
 * kept, returning 0 if fewer than two are left.
 */
static int
point_range(const KeySeq *seq, uint32_t tlo, uint32_t thi,
			uint32_t *r_lo, uint32_t *r_hi)
{
	uint32_t	seen = 0;
	uint32_t	r;
	int64_t		left;
	int64_t		right;

	/* the tlo-th point from the start */
	for (r = 0; r < seq->count; r++)
	{
		if (!seq_interval(seq, r, &left, &right))
			continue;
		if (seen++ == tlo)
			break;
	}
	if (r >= seq->count)
		return 0;
	*r_lo = r;

	/* the thi-th point from the end */
	seen = 0;
	for (r = seq->count; r-- > 0;)
	{
		if (!seq_interval(seq, r, &left, &right))
			continue;
		if (seen++ == thi)
			break;
	}
	if (r == UINT32_MAX || r <= *r_lo)
		return 0;
	*r_hi = r;
	return 1;
}

/*
 * Candidate slopes over the points of entries [r_lo, r_hi] (at least two),
 * all finite and > 0:
 *
 * - least squares, the usual choice;
 * - the line through the first and last point, which copes better when a
 *   few outliers dominate the squares.
 *
 * Returns how many were stored in slopes[] (at most 2).
 */
static int
slope_candidates(const KeySeq *seq, int64_t base, uint32_t r_lo,
				 uint32_t r_hi, double *slopes)
{
	int			nslopes = 0;
	uint32_t	npoints = 0;
	double		sum_x = 0.0;
	double		sum_y = 0.0;
	double		mean_x;
	double		mean_y;
	double		sxx = 0.0;
	double		sxy = 0.0;
	double		first_x = 0.0;
	double		first_y = 0.0;
	double		last_x = 0.0;
	double		last_y = 0.0;
	uint32_t	r;

	for (r = r_lo; r <= r_hi; r++)
	{
		int64_t		left;
		int64_t		right;
		double		x;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		x = rmi_key_diff(base, left);
		if (npoints == 0)
		{
			first_x = x;
			first_y = r;
		}
		last_x = x;
		last_y = r;
		sum_x += x;
		sum_y += r;
		npoints++;
	}
	if (npoints < 2)
		return nslopes;

	/* second pass on centred values, for accuracy with large keys */
	mean_x = sum_x / npoints;
	mean_y = sum_y / npoints;
	for (r = r_lo; r <= r_hi; r++)
	{
		int64_t		left;
		int64_t		right;
		double		dx;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		dx = rmi_key_diff(base, left) - mean_x;
		sxx += dx * dx;
		sxy += dx * ((double) r - mean_y);
	}
	if (sxx > 0.0 && isfinite(sxx) && isfinite(sxy))
	{
		double		s = sxy / sxx;

		/* sorted keys give sxy >= 0; rounding could still dip below */
		if (isfinite(s) && s > 0.0)
			slopes[nslopes++] = s;
	}

	/* distinct left ends can still coincide after conversion to double */
	if (last_x > first_x)
	{
		double		s = (last_y - first_y) / (last_x - first_x);

		if (isfinite(s) && s > 0.0)
			slopes[nslopes++] = s;
	}
	return nslopes;
}

/*
 * Intercept for m's shape (everything but the intercept is already set),
 * looking only at entries [r_lo, r_hi].  Entry r wants b + shape >= r at its
 * interval's left end and < r + 1 at its right end, i.e. b >= U and b < V
 * over those entries.  If U < V a perfect b exists and the midpoint keeps a
 * margin against rounding; otherwise the midpoint splits the shortfall
 * between err_hi and err_lo.  The clamp already satisfies the left end of
 * entry 0 and the right end of the last entry, so those are not constraints
 * (the last entry's interval may reach INT64_MAX).  drop_fence leaves out
 * the right end of entry r_hi as well (see fit_linear).
 *
 * Entries left out of the range (a trimmed fit's outliers) get whatever
 * error the result gives them; model_bounds counts it.  For an outlier at
 * either end that error is small anyway, because the clamp absorbs it.
 */
static double
choose_intercept(const KeySeq *seq, const LinearModel *m,
				 uint32_t r_lo, uint32_t r_hi, int drop_fence)
{
	double		u = -HUGE_VAL;
	double		v = HUGE_VAL;
	double		b;
	uint32_t	r;

	for (r = r_lo; r <= r_hi; r++)
	{
		int64_t		left;
		int64_t		right;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		if (r > 0)
		{
			double		c = (double) r - model_shape(m, left);

			if (c > u)
				u = c;
		}
		if (r + 1 < seq->count && !(drop_fence && r == r_hi))
		{
			double		c = (double) r + 1.0 - model_shape(m, right);

			if (c < v)
				v = c;
		}
	}

	if (isinf(u) && isinf(v))
		b = 0.0;
	else if (isinf(u))
		b = v - 0.5;
	else if (isinf(v))
		b = u + 0.5;
	else
		b = u + (v - u) / 2.0;

	return isfinite(b) ? b : 0.0;
}

/*
 * "A handful of extreme keys must not stretch a fit": one huge key drags
 * both the least-squares line and the end-to-end line until the window
 * covers the whole run, while a line fitted without it keeps the dense part
 * narrow and the clamp absorbs the outlier's own error.  So besides the
 * plain fit, fit_linear tries fits that leave out the first and/or last few
 * points, wherever a point is followed (from that end) by a gap much wider
 * than the average.  Exact bounds are computed for every candidate, so a
 * trim that does not help simply loses.
 */
#define TRIM_MAX		16		/* points left out at one end, at most */
#define TRIM_CHOICES	3		/* trims tried per end, besides none */
#define TRIM_GAP_RATIO	4.0		/* a gap this many times the mean is one */

/*
 * Trims worth trying at one end (from_end: the last points), widest gaps
 * first: k such that the gap between the (k-1)-th and the k-th point from
 * that end is over TRIM_GAP_RATIO times the mean gap of the middle half of
 * the points (the mean over all points would be dominated by the very
 * outliers sought).  trims[0] is always 0 (no trim).  Returns how many were
 * stored.
 *
 * At the top the last point's right end counts as an extra point (a
 * "fence") when it constrains the intercept, that is when the last point is
 * not the last entry: keys ending in INT64_MAX, or a record followed by one
 * starting at a huge key.  *fence says so; a top trim of k then means
 * dropping that constraint and k - 1 points.
 */
static int
trim_choices(const KeySeq *seq, int64_t base, int from_end, uint32_t *trims,
			 int *fence)
{
	double		xs[TRIM_MAX + 1];
	double		gaps[TRIM_CHOICES];
	double		q1 = 0.0;
	double		q3 = 0.0;
	double		mean_gap;
	uint32_t	npoints = 0;
	uint32_t	nx = 0;
	uint32_t	i;
	uint32_t	r;
	int			nchoices = 0;
	int			nfound = 0;
	uint32_t	r_last = 0;

	trims[nchoices++] = 0;
	*fence = 0;

	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		r_last = r;
		npoints++;
	}
	if (npoints < 8)
		return nchoices;

	/* mean gap between the points at the quartiles */
	nx = 0;
	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		if (nx == npoints / 4)
			q1 = rmi_key_diff(base, left);
		if (nx == npoints - 1 - npoints / 4)
		{
			q3 = rmi_key_diff(base, left);
			break;
		}
		nx++;
	}
	mean_gap = (q3 - q1) / (double) (npoints - 1 - 2 * (npoints / 4));
	nx = 0;

	/* the x of the first TRIM_MAX + 1 points from the chosen end */
	if (from_end && r_last + 1 < seq->count)
	{
		int64_t		left;
		int64_t		right;

		(void) seq_interval(seq, r_last, &left, &right);
		xs[nx++] = rmi_key_diff(base, right);
		*fence = 1;
	}
	/* (never more than a quarter of the points) */
	for (i = 0; i < seq->count && nx <= TRIM_MAX && nx < npoints / 4; i++)
	{
		int64_t		left;
		int64_t		right;

		r = from_end ? seq->count - 1 - i : i;
		if (!seq_interval(seq, r, &left, &right))
			continue;
		xs[nx++] = rmi_key_diff(base, left);
	}

	for (i = 1; i < nx; i++)
	{
		double		gap = from_end ? xs[i - 1] - xs[i] : xs[i] - xs[i - 1];
		int			j;

		/* with no spread in the middle, any gap qualifies */
		if (!(gap > TRIM_GAP_RATIO * mean_gap))
			continue;
		/* insertion into the widest TRIM_CHOICES gaps so far */
		for (j = nfound; j > 0 && gaps[j - 1] < gap; j--)
		{
			if (j < TRIM_CHOICES)
			{
				gaps[j] = gaps[j - 1];
				trims[1 + j] = trims[j];
			}
		}
		if (j < TRIM_CHOICES)
		{
			gaps[j] = gap;
			trims[1 + j] = i;
			if (nfound < TRIM_CHOICES)
				nfound++;
		}
	}
	return nchoices + nfound;
}

/*
 * Fit m (whose base, count and, for a root, type fields are already set) to
 * seq as a line: try each candidate slope with its intercept and keep the
 * narrowest exact window.  Candidates are slope zero (the fallback for a
 * single point and for data no line fits, where it bounds the window by the
 * entry count) and, for the plain fit and each combination of trims, the
 * least-squares and end-to-end slopes of the points kept.  Returns the
 * window width (err_lo + err_hi).
 */
static int64_t
fit_linear(const KeySeq *seq, LinearModel *m, int64_t *err_lo, int64_t *err_hi)
{
	uint32_t	trims_lo[1 + TRIM_CHOICES];
	uint32_t	trims_hi[1 + TRIM_CHOICES];
	int			ntrims_lo;
	int			ntrims_hi;
	int			fence_lo;
	int			fence_hi;
	double		tried_slope[1 + 2 * (1 + TRIM_CHOICES) * (1 + TRIM_CHOICES)];
	double		tried_icpt[1 + 2 * (1 + TRIM_CHOICES) * (1 + TRIM_CHOICES)];
	int			ntried = 0;
	int64_t		base = model_base(m);
	int64_t		best_width = -1;
	double		best_slope = 0.0;
	double		best_intercept = 0.0;
	int			t;

	ntrims_lo = trim_choices(seq, base, 0, trims_lo, &fence_lo);
	ntrims_hi = trim_choices(seq, base, 1, trims_hi, &fence_hi);

	/* t = -1: slope zero; then each (trims_lo, trims_hi) combination */
	for (t = -1; t < ntrims_lo * ntrims_hi; t++)
	{
		double		slopes[2];
		int			nslopes;
		uint32_t	r_lo = 0;
		uint32_t	r_hi = seq->count - 1;
		int			drop_fence = 0;
		int			i;

		if (t < 0)
		{
			slopes[0] = 0.0;
			nslopes = 1;
		}
		else
		{
			uint32_t	thi = trims_hi[t % ntrims_hi];

			/*
			 * The right end of the last point kept lies at the first point
			 * (or fence) left out, so its constraint goes with them.
			 */
			if (thi > 0)
			{
				drop_fence = 1;
				if (fence_hi)
					thi--;
			}
			if (!point_range(seq, trims_lo[t / ntrims_hi], thi,
							 &r_lo, &r_hi))
				continue;
			nslopes = slope_candidates(seq, base, r_lo, r_hi, slopes);
		}

		for (i = 0; i < nslopes; i++)
		{
			double		b;
			int64_t		lo;
			int64_t		hi;
			int64_t		width;
			int			k;

			model_set(m, slopes[i], 0.0);
			b = choose_intercept(seq, m, r_lo, r_hi, drop_fence);

			/* trims can change nothing: skip repeated candidates */
			for (k = 0; k < ntried; k++)
				if (tried_slope[k] == slopes[i] && tried_icpt[k] == b)
					break;
			if (k < ntried)
				continue;
			tried_slope[ntried] = slopes[i];
			tried_icpt[ntried] = b;
			ntried++;

			model_set_intercept(m, b);
			width = model_bounds(seq, m, &lo, &hi);
			if (best_width < 0 || width < best_width)
			{
				best_width = width;
				best_slope = slopes[i];
				best_intercept = b;
				*err_lo = lo;
				*err_hi = hi;
			}
		}
	}
	model_set(m, best_slope, best_intercept);
	return best_width;
}

/* ------------------------------------------------------------ cubic root */

/*
 * Set m's root to the cubic with shape c (t - a)^3 + s t, t = d / dmax,
 * rescaled to the units of d; the intercept is chosen afterwards.  Returns
 * 0 if the coefficients are unusable: not finite, negative, or a term that
 * is not finite somewhere in d = [0, 2^64] (see rmi_cubic_shape).
 */
static int
cubic_set(LinearModel *m, double dmax, double s, double c, double a)
{
	double	   *coef = m->root.coef;
	double		ends[2] = {0.0, 18446744073709551616.0};
	int			i;

	m->root.type = RMI_ROOT_CUBIC;
	coef[0] = 0.0;
	coef[1] = s / dmax;
	coef[2] = a * dmax;
	coef[3] = c / dmax / dmax / dmax;
	if (!isfinite(coef[1]) || !isfinite(coef[2]) || !isfinite(coef[3]) ||
		!(coef[1] >= 0.0) || !(coef[3] > 0.0))
		return 0;
	for (i = 0; i < 2; i++)
	{
		double		u = ends[i] - coef[2];
		double		q = u * (u * u);

		if (!isfinite(q) || !isfinite(coef[3] * q) ||
			!isfinite(coef[1] * ends[i]) ||
			!isfinite(coef[3] * q + coef[1] * ends[i]))
			return 0;
	}
	return 1;
}

/*
 * Least-squares fit of r ~ K + s t + c (t - a)^3 over the points, t =
 * x / dmax, for a fixed a, with s >= 0 and c > 0.  Returns 0 if there is no
 * such fit with c > 0 (the data want a line or worse).
 */
static int
cubic_lsq(const KeySeq *seq, int64_t base, double dmax, double a,
		  double mean_t, double mean_y, double *s_out, double *c_out)
{
	double		sum_f = 0.0;
	double		mean_f;
	double		stt = 0.0;
	double		stf = 0.0;
	double		sff = 0.0;
	double		sty = 0.0;
	double		sfy = 0.0;
	double		det;
	uint32_t	npoints = 0;
	uint32_t	r;

	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;
		double		t;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		t = rmi_key_diff(base, left) / dmax - a;
		sum_f += t * t * t;
		npoints++;
	}
	mean_f = sum_f / npoints;
	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;
		double		t;
		double		f;
		double		dy;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		t = rmi_key_diff(base, left) / dmax;
		f = (t - a) * (t - a) * (t - a) - mean_f;
		t -= mean_t;
		dy = (double) r - mean_y;
		stt += t * t;
		stf += t * f;
		sff += f * f;
		sty += t * dy;
		sfy += f * dy;
	}

	det = stt * sff - stf * stf;
	if (det > 1e-12 * stt * sff && isfinite(det))
	{
		double		s = (sty * sff - sfy * stf) / det;
		double		c = (sfy * stt - sty * stf) / det;

		if (s >= 0.0 && c > 0.0 && isfinite(s) && isfinite(c))
		{
			*s_out = s;
			*c_out = c;
			return 1;
		}
	}
	/* the unconstrained optimum has s < 0 (or is degenerate): s = 0 */
	if (sff > 0.0 && sfy > 0.0)
	{
		double		c = sfy / sff;

		if (isfinite(c) && c > 0.0)
		{
			*s_out = 0.0;
			*c_out = c;
			return 1;
		}
	}
	return 0;
}

/*
 * Inflection points tried, in units of the key range: outside [0, 1] the
 * cubic is convex (a < 0) or concave (a > 1) over the keys, inside it bends
 * both ways.  The best of these is then refined by bisection.
 */
static const double cubic_grid[] = {
	-2.0, -1.0, -0.5, -0.25, 0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75,
	0.875, 1.0, 1.125, 1.25, 1.5, 2.0, 3.0
};
#define NCUBIC_GRID	((int) (sizeof(cubic_grid) / sizeof(cubic_grid[0])))

/*
 * Fit m's root (min_key and nrecords set) to seq as a monotone cubic,
 * keeping the narrowest exact window among the candidates.  Returns the
 * width, or -1 if no usable cubic was found (m is then unspecified).
 *
 * The shape is fitted by least squares for each inflection point a, which
 * is only a proxy for the window; the intercept is then chosen as for a
 * line, and the window is the exact one of the real prediction.
 */
static int64_t
fit_cubic(const KeySeq *seq, LinearModel *m, int64_t *err_lo, int64_t *err_hi)
{
	int64_t		base = m->root.min_key;
	uint32_t	npoints = 0;
	double		dmax = 0.0;
	double		sum_t = 0.0;
	double		sum_y = 0.0;
	double		mean_t;
	double		mean_y;
	int64_t		best_width = -1;
	double		best_coef[4] = {0.0, 0.0, 0.0, 0.0};
	double		best_a = 0.0;
	double		step;
	uint32_t	r;
	int			i;

	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		dmax = rmi_key_diff(base, left);	/* non-decreasing: ends as the max */
		sum_y += r;
		npoints++;
	}
	if (npoints < 4 || !(dmax > 0.0))
		return -1;
	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;

		if (seq_interval(seq, r, &left, &right))
			sum_t += rmi_key_diff(base, left) / dmax;
	}
	mean_t = sum_t / npoints;
	mean_y = sum_y / npoints;

	/* grid over a, then bisection around the best */
	step = 0.0625;
	for (i = 0; i < NCUBIC_GRID + 12; i++)
	{
		double		a;
		double		s;
		double		c;
		double		b;
		int64_t		lo;
		int64_t		hi;
		int64_t		width;

		if (i < NCUBIC_GRID)
			a = cubic_grid[i];
		else
		{
			if (best_width < 0)
				break;
			a = best_a + (((i - NCUBIC_GRID) % 2) ? step : -step);
			if ((i - NCUBIC_GRID) % 2)
				step /= 2.0;
		}

		if (!cubic_lsq(seq, base, dmax, a, mean_t, mean_y, &s, &c))
			continue;
		if (!cubic_set(m, dmax, s, c, a))
			continue;
		b = choose_intercept(seq, m, 0, seq->count - 1, 0);
		m->root.coef[0] = b;
		width = model_bounds(seq, m, &lo, &hi);
		if (best_width < 0 || width < best_width)
		{
			best_width = width;
			memcpy(best_coef, m->root.coef, sizeof(best_coef));
			best_a = a;
			*err_lo = lo;
			*err_hi = hi;
		}
	}
	if (best_width < 0)
		return -1;
	m->root.type = RMI_ROOT_CUBIC;
	memcpy(m->root.coef, best_coef, sizeof(best_coef));
	return best_width;
}

/* ----------------------------------------------------------- spline root */

/*
 * Place spline knots on the points of seq (one per non-empty answer
 * interval: its left end, or min_key for entry 0, and its entry number)
 * with the greedy "spline corridor": starting from a knot, keep extending
 * the piece while the line from the knot to the current point passes within
 * max_err positions of every point in between (the slopes allowed by each
 * point narrow a corridor), and put a knot on the last point that fitted
 * when one does not.  Every point then lies within max_err of the
 * interpolation, up to rounding, and each knot is an actual point, so the
 * interpolation is monotone.  One pass, no memory.  Returns the number of
 * knots placed, or 0 if more than RMI_SPLINE_MAX_KNOTS were needed or fewer
 * than two points exist.
 */
static uint32_t
spline_place_knots(const KeySeq *seq, RmiRoot *root, double max_err)
{
	int64_t		base = root->min_key;
	uint32_t	nknots = 0;
	double		knot_x = 0.0;
	double		knot_y = 0.0;
	double		upper = HUGE_VAL;
	double		lower = -HUGE_VAL;
	int64_t		prev_key = 0;
	uint32_t	prev_r = 0;
	double		prev_x = 0.0;
	int			have_prev = 0;
	uint32_t	r;

	for (r = 0; r < seq->count; r++)
	{
		int64_t		left;
		int64_t		right;
		int64_t		key;
		double		x;
		double		dx;
		double		slope;

		if (!seq_interval(seq, r, &left, &right))
			continue;
		key = left < base ? base : left;
		x = rmi_key_diff(base, key);

		if (nknots == 0)
		{
			root->knot_key[0] = key;
			root->knot_pos[0] = r;
			nknots = 1;
			knot_x = x;
			knot_y = r;
			continue;
		}

		/* distinct keys can round to one double: no slope to check */
		dx = x - knot_x;
		if (dx > 0.0)
		{
			slope = ((double) r - knot_y) / dx;
			if (have_prev && (slope > upper || slope < lower))
			{
				/* this point leaves the corridor: the last one is a knot */
				if (nknots == RMI_SPLINE_MAX_KNOTS)
					return 0;
				root->knot_key[nknots] = prev_key;
				root->knot_pos[nknots] = prev_r;
				nknots++;
				knot_x = prev_x;
				knot_y = prev_r;
				upper = HUGE_VAL;
				lower = -HUGE_VAL;
				dx = x - knot_x;
			}
			if (dx > 0.0)
			{
				double		u = ((double) r + max_err - knot_y) / dx;
				double		l = ((double) r - max_err - knot_y) / dx;

				if (u < upper)
					upper = u;
				if (l > lower)
					lower = l;
			}
		}
		prev_key = key;
		prev_r = r;
		prev_x = x;
		have_prev = 1;
	}

	if (!have_prev)
		return 0;
	if (nknots == RMI_SPLINE_MAX_KNOTS)
		return 0;
	root->knot_key[nknots] = prev_key;
	root->knot_pos[nknots] = prev_r;
	nknots++;
	return nknots;
}

/*
 * Fit m's root (min_key and nrecords set) to seq as a spline, keeping the
 * narrowest exact window among the candidates.  Returns the width, or -1 if
 * there are fewer than two points (m is then unspecified).
 *
 * The corridor's error bound is found by bisection: the smallest bound
 * whose knots fit in RMI_SPLINE_MAX_KNOTS (a bound of one position per
 * point always fits in two knots).  The corridor bounds the error at the
 * points only, so every knot set tried on the way gets its exact window,
 * with its own intercept, and the narrowest wins.
 */
static int64_t
fit_spline(const KeySeq *seq, LinearModel *m, int64_t *err_lo, int64_t *err_hi)
{
	RmiRoot		best_root;
	int64_t		best_width = -1;
	double		lo_err = 0.0;
	double		hi_err = (double) seq->count;
	int			step;

	m->root.type = RMI_ROOT_SPLINE;
	memset(m->root.coef, 0, sizeof(m->root.coef));
	memset(&best_root, 0, sizeof(best_root));

	/* start with no error allowed: exact when the points need few knots */
	for (step = 0; step < 24; step++)
	{
		double		max_err = step == 0 ? 0.0 : lo_err + (hi_err - lo_err) / 2.0;
		uint32_t	nknots;
		int64_t		lo;
		int64_t		hi;
		int64_t		width;

		memset(m->root.knot_key, 0, sizeof(m->root.knot_key));
		memset(m->root.knot_pos, 0, sizeof(m->root.knot_pos));
		nknots = spline_place_knots(seq, &m->root, max_err);
		if (nknots == 0)
		{
			lo_err = max_err;
			continue;
		}
		hi_err = max_err;
		if (nknots < 2)
			break;
		m->root.nknots = nknots;
		m->root.coef[0] = 0.0;
		m->root.coef[0] = choose_intercept(seq, m, 0, seq->count - 1, 0);
		width = model_bounds(seq, m, &lo, &hi);
		if (best_width < 0 || width < best_width)
		{
			best_width = width;
			best_root = m->root;
			*err_lo = lo;
			*err_hi = hi;
		}
		if (step == 0 || hi_err - lo_err < 0.5)
			break;
	}
	if (best_width < 0)
		return -1;
	m->root = best_root;
	return best_width;
}

/* ------------------------------------------------------------ root choice */

/*
 * Fit a root of the given kind (m->root holds the untrained root) over
 * records[0..nrecords) (seq: their first keys) and keep it in *best if no
 * best exists yet, or it sends fewer lookups astray (by their rank), or as
 * few and its search is strictly cheaper.
 */
static void
try_root_kind(const KeySeq *seq, const RmiRecord *records, uint32_t nrecords,
			  LinearModel *m, int kind, LinearModel *best, int64_t *best_miss,
			  double *best_cost, int *have_best)
{
	int64_t		lo = 0;
	int64_t		hi = 0;
	int64_t		width;
	int64_t		miss;
	double		cost;

	if (kind == RMI_ROOT_LINEAR)
		width = fit_linear(seq, m, &lo, &hi);
	else if (kind == RMI_ROOT_CUBIC)
		width = fit_cubic(seq, m, &lo, &hi);
	else
		width = fit_spline(seq, m, &lo, &hi);
	if (width < 0)
		return;

	m->root.err_lo = rmi_err_store(lo);
	m->root.err_hi = rmi_err_store(hi);
	miss = RMI_MISS_RANK(rmi_root_miss_rate(&m->root, records, nrecords));
	cost = rmi_root_search_cost(&m->root);
	if (!*have_best || miss < *best_miss ||
		(miss == *best_miss && cost < *best_cost))
	{
		*best = *m;
		*best_miss = miss;
		*best_cost = cost;
		*have_best = 1;
	}
}

void
rmi_train_root(RmiRoot *root, const RmiRecord *records, uint32_t nrecords,
			   uint32_t kinds_mask)
{
	KeySeq		seq;
	LinearModel m;
	LinearModel best;
	int64_t		best_miss = INT64_MAX;
	double		best_cost = HUGE_VAL;
	int			have_best = 0;
	int			kind;

	memset(root, 0, sizeof(*root));
	root->type = RMI_ROOT_LINEAR;
	root->nrecords = nrecords;
	if (nrecords == 0)
		return;
	root->min_key = records[0].first_key;
	if (nrecords == 1)
		return;					/* the prediction is 0 whatever the model */

	seq.keys = (const char *) &records[0].first_key;
	seq.stride = sizeof(RmiRecord);
	seq.count = nrecords;
	seq.open_below = 1;
	seq.upper = INT64_MAX;

	memset(&m, 0, sizeof(m));
	m.is_root = 1;
	best = m;

	/*
	 * Each kind asked for, simplest first: a later kind must send fewer
	 * lookups astray, or be strictly cheaper to search, to win, so ties go
	 * to the simpler one.  Misses come first: each costs a new session a
	 * page (README, "The model").
	 */
	for (kind = RMI_ROOT_LINEAR; kind <= RMI_ROOT_SPLINE; kind++)
	{
		if (!(kinds_mask & (1u << kind)))
			continue;
		m.root = *root;
		try_root_kind(&seq, records, nrecords, &m, kind, &best, &best_miss,
					  &best_cost, &have_best);
	}

	/* the fallback when nothing asked for could be fitted: a line always can */
	if (!have_best)
	{
		m.root = *root;
		try_root_kind(&seq, records, nrecords, &m, RMI_ROOT_LINEAR, &best,
					  &best_miss, &best_cost, &have_best);
	}

	*root = best.root;
}

/* Fit one record per leaves_per_record positions (stage 2 only). */
static void
train_segments(const int64_t *keys, uint32_t n, uint32_t pps,
			   RmiRecord *records)
{
	uint32_t	nseg = rmi_record_count(n, pps);
	KeySeq		seq;
	LinearModel m;
	int64_t		err_lo;
	int64_t		err_hi;
	uint32_t	j;

	for (j = 0; j < nseg; j++)
	{
		/* j < nseg, so j * pps <= n - 1: no overflow */
		uint32_t	start = j * pps;
		uint32_t	count = (n - start < pps) ? n - start : pps;

		seq.keys = (const char *) (keys + start);
		seq.stride = sizeof(int64_t);
		seq.count = count;
		seq.open_below = (j == 0);
		seq.upper = (j + 1 < nseg) ? keys[start + count] : INT64_MAX;

		memset(&m, 0, sizeof(m));
		m.is_root = 0;
		m.rec.first_key = keys[start];
		m.rec.start = start;
		m.rec.count = count;
		m.rec.slope = 0.0;
		m.rec.intercept = 0.0;
		m.rec.err_lo = m.rec.err_hi = 0;

		fit_linear(&seq, &m, &err_lo, &err_hi);
		m.rec.err_lo = rmi_err_store(err_lo);
		m.rec.err_hi = rmi_err_store(err_hi);
		records[j] = m.rec;
	}
}

void
rmi_train(const int64_t *keys, uint32_t n, uint32_t leaves_per_record,
		  RmiRoot *root, RmiRecord *records)
{
	rmi_train_kinds(keys, n, leaves_per_record, RMI_ROOT_KINDS_ALL,
					root, records);
}

void
rmi_train_kinds(const int64_t *keys, uint32_t n,
				uint32_t leaves_per_record, uint32_t kinds_mask,
				RmiRoot *root, RmiRecord *records)
{
	uint32_t	pps = leaves_per_record ? leaves_per_record : 1;

	if (n > 0)
		train_segments(keys, n, pps, records);
	rmi_train_root(root, records, rmi_record_count(n, pps), kinds_mask);
}

void
rmi_window_stats(const int64_t *keys, uint32_t n, const RmiRecord *records,
				 uint32_t nrecords, double *mean_window, uint32_t *max_window)
{
	double		sum = 0.0;
	uint32_t	max = 0;
	uint32_t	i;

	for (i = 0; i < n && nrecords > 0; i++)
	{
		uint32_t	j = 0;
		uint32_t	lo;
		uint32_t	hi;

		/* the exact route, as rmi_find_record gives it */
		if (records[0].first_key < keys[i])
			j = rmi_search_records(records, 0, nrecords - 1, keys[i]);
		rmi_record_window(&records[j], keys[i], &lo, &hi);
		sum += (double) (hi - lo) + 1.0;
		if (hi - lo + 1 > max)
			max = hi - lo + 1;
	}
	*mean_window = (n > 0 && nrecords > 0) ? sum / n : 1.0;
	*max_window = (n > 0 && nrecords > 0) ? max : 1;
}

/* ------------------------------------------------------- the cost model */

double
rmi_cache_bytes(const RmiCacheModel *cm, double nleaves, uint32_t nrecords)
{
	return cm->fixed_bytes + cm->bytes_per_record * nrecords +
		cm->bytes_per_leaf * nleaves;
}

double
rmi_expected_pages(const RmiCacheModel *cm, double nleaves,
				   uint32_t nrecords)
{
	double		lists = cm->bytes_per_leaf * nleaves;
	double		room = cm->budget_bytes - cm->fixed_bytes -
		cm->bytes_per_record * nrecords;
	double		cached;

	if (lists <= 0.0 || room >= lists)
		cached = 1.0;
	else if (room <= 0.0)
		cached = 0.0;
	else
		cached = room / lists;
	return 1.0 + (1.0 - cached);
}

/* One candidate of rmi_choose, and the order that ranks them. */
typedef struct Candidate
{
	uint32_t	pps;
	int32_t		root_type;
	double		pages;
	double		search_cost;
	double		cache_bytes;
	double		mean_window;
	uint32_t	max_window;
	int64_t		rank_pages;		/* pages in thousandths */
	int64_t		rank_search;	/* comparisons in quarters */
	int64_t		rank_miss;		/* RMI_MISS_RANK */
} Candidate;

/*
 * Is root kind a better than b, of the same record size?  Fewer lookups
 * astray, then the cheaper search, as rmi_train_root ranks them; ties keep
 * the earlier (simpler) kind.
 */
static int
kind_better(const Candidate *a, const Candidate *b)
{
	if (a->rank_miss != b->rank_miss)
		return a->rank_miss < b->rank_miss;
	return a->rank_search < b->rank_search;
}

/* The criterion that tells a from b: RMI_CHOSEN_*, or 0 for none. */
static int
candidate_decider(const Candidate *a, const Candidate *b)
{
	if (a->rank_pages != b->rank_pages)
		return RMI_CHOSEN_PAGES;
	if (a->rank_search != b->rank_search)
		return RMI_CHOSEN_SEARCH;
	if (a->cache_bytes != b->cache_bytes)
		return RMI_CHOSEN_CACHE;
	return 0;
}

/* Is a better than b?  Ties keep the earlier candidate. */
static int
candidate_better(const Candidate *a, const Candidate *b)
{
	if (a->rank_pages != b->rank_pages)
		return a->rank_pages < b->rank_pages;
	if (a->rank_search != b->rank_search)
		return a->rank_search < b->rank_search;
	return a->cache_bytes < b->cache_bytes;
}

int
rmi_choose(const int64_t *keys, uint32_t n, const uint32_t *candidates,
		   int ncandidates, uint32_t kinds_mask, const RmiCacheModel *cm,
		   RmiRoot *root, RmiRecord *records, RmiChoice *choice)
{
	Candidate	all[RMI_CHOOSE_MAX_CANDIDATES * 3];
	int			nall = 0;
	int			best = -1;
	int			c;
	int			i;

	memset(choice, 0, sizeof(*choice));
	if (ncandidates < 1 || ncandidates > RMI_CHOOSE_MAX_CANDIDATES ||
		(kinds_mask & RMI_ROOT_KINDS_ALL) == 0)
		return 0;

	for (c = 0; c < ncandidates; c++)
	{
		uint32_t	pps = candidates[c] ? candidates[c] : 1;
		uint32_t	nseg = rmi_record_count(n, pps);
		double		mean_window = 1.0;
		uint32_t	max_window = 1;
		int			size_best = -1;
		int			kind;

		if (n > 0)
			train_segments(keys, n, pps, records);
		rmi_window_stats(keys, n, records, nseg, &mean_window, &max_window);

		for (kind = RMI_ROOT_LINEAR; kind <= RMI_ROOT_SPLINE; kind++)
		{
			Candidate  *cand = &all[nall];

			if (!(kinds_mask & (1u << kind)))
				continue;
			rmi_train_root(root, records, nseg, 1u << kind);
			cand->pps = pps;
			cand->root_type = root->type;
			cand->pages = rmi_expected_pages(cm, n, nseg);
			cand->search_cost = rmi_root_search_cost(root) +
				log2(mean_window);
			cand->cache_bytes = rmi_cache_bytes(cm, n, nseg);
			cand->mean_window = mean_window;
			cand->max_window = max_window;
			cand->rank_pages = (int64_t) floor(cand->pages * 1000.0 + 0.5);
			cand->rank_search = (int64_t) floor(cand->search_cost * 4.0 + 0.5);
			cand->rank_miss = RMI_MISS_RANK(rmi_root_miss_rate(root, records,
															   nseg));
			if (size_best < 0 || kind_better(cand, &all[size_best]))
				size_best = nall;
			nall++;
		}

		/* This size's root kind, against the best of the sizes before. */
		if (size_best >= 0 &&
			(best < 0 || candidate_better(&all[size_best], &all[best])))
			best = size_best;
	}
	if (best < 0)
		return 0;

	/*
	 * Why this record size: the weakest criterion that still told the
	 * best apart from the best candidate of each other size.  (Among the
	 * root kinds of one size, kind_better decides, as in rmi_train_root.)
	 */
	choice->reason = RMI_CHOSEN_ONLY;
	for (i = 0; i < nall; i++)
	{
		int			size_best = i;
		int			decider;
		int			k;

		if (all[i].pps == all[best].pps)
			continue;
		for (k = 0; k < nall; k++)
			if (all[k].pps == all[i].pps &&
				kind_better(&all[k], &all[size_best]))
				size_best = k;
		if (size_best != i)
			continue;			/* each other size once, by its best */
		decider = candidate_decider(&all[best], &all[i]);
		if (decider == 0)
			decider = RMI_CHOSEN_ORDER;
		if (decider > choice->reason)
			choice->reason = decider;
	}
	choice->leaves_per_record = all[best].pps;
	choice->root_type = all[best].root_type;
	choice->ncandidates = (uint32_t) nall;
	choice->expected_pages = all[best].pages;
	choice->search_cost = all[best].search_cost;
	choice->cache_bytes = all[best].cache_bytes;
	choice->mean_window = all[best].mean_window;
	choice->max_window = all[best].max_window;

	/* the winner again, into the caller's arrays (training is deterministic) */
	rmi_train_kinds(keys, n, all[best].pps, 1u << all[best].root_type,
					root, records);
	return 1;
}

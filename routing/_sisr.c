/* Compiled inner loop of the SISR ruin-and-recreate (routing/_improve.py).
 *
 * The same search as the Python RuinRecreate: string removals around a seed visit, greedy
 * re-insertion at the cheapest exact-feasible position with blinks, simulated-annealing
 * acceptance, best solution by (served priority, served count, cost). It covers routes with any
 * number of breaks (up to MAXW - 1) of one window each, so split shifts and the extra breaks of
 * a disruption day too; deliveries (no pickups); the locked pairs of fixed visits (nothing is
 * inserted between them); and the planner's objective (working time and assignment costs),
 * optionally under a cap on moves. Breaks with several windows and pickups stay in Python. Route
 * times are the forward earliest and backward latest times of routing/_schedule.py (RouteState._times0 / _times1 for no break
 * or one, Instance.forward / arrivals for more), so every answer here is the answer the Python
 * schedule gives.
 *
 * Interface: sisr(blob, penalty, routes, keys, params) -> iterations
 *   blob     int64: header [n, nv, sz, dims, nprof, offsets of the FIELDS below], then data
 *   penalty  float64[n]: price of leaving a visit unserved during the search
 *   routes   int64, writable: current routes [len[nv], seq[n]] then best routes (same layout)
 *   keys     float64[3], writable: best key (-served priority, -served count, cost)
 *   params   float64: seed, seconds, t_start, t_end, avg_removed, max_string, blink,
 *            focus_share, max_moves (-1: no cap), then with a cap each visit's home route
 *            (its current vehicle's index, -1 none)
 * The current routes are searched from for ``seconds``; current and best are written back.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int64_t i64;
#define INF ((i64)1 << 62)
#define NEG (-INF)

enum {
    F_LOC, F_SVC, F_PRIO, F_FIXED, F_TWOFF, F_TWS, F_TWE, F_AMOUNT,
    F_VSTART, F_VEND, F_SHS, F_SHE, F_NBRK, F_BS, F_BE, F_BD, F_MAXV, F_CAP, F_PROF,
    F_KLASS, F_USABLE, F_DUR, F_COST, F_COMPAT, F_NEIGH, F_LOCKP, F_ACOST, F_WMODE, F_BOFF, F_COUNT
};
#define HEADER 5

typedef struct {
    i64 n, nv, sz, dims;
    const i64 *loc, *svc, *prio, *fixed, *tw_off, *tw_s, *tw_e, *amount;
    const i64 *vstart, *vend, *shs, *she, *nbrk, *bs, *be, *bd, *maxv, *cap, *prof, *klass;
    const i64 *usable, *dur, *cost, *compat, *neigh;
    /* Per visit b: the stop a of a locked pair (a, b) that must stay adjacent (-1 the start),
     * or -2. Nothing may be inserted between them. */
    const i64 *lockp;
    /* The planner's objective (wmode[0] != 0): a route costs its working time (travel, which
     * the cost matrix then holds, plus waiting) plus acost[u * nv + k] per visit u it serves
     * (moves and preferences); acost[0] < 0 means no assignment costs. wmode[1]: the balance
     * weight in thousandths, times the spread of the used routes' spans. */
    const i64 *acost, *wmode;
    /* Breaks of vehicle k: bs/be/bd[boff[k] .. boff[k] + nbrk[k]), one window each, in order. */
    const i64 *boff;
    i64 nbmax; /* most breaks of any vehicle; states per stop are nbmax + 1 wide */
    const double *pen;
} Inst;

typedef struct {
    i64 len;
    i64 *seq;               /* n */
    i64 *f0, *f1, *l0, *l1; /* n + 1 */
    /* Routes with several breaks: F[p * W + b] the earliest time to leave stop p having taken
     * b breaks, L[p * W + b] the latest arrival at stop p (from a visit, breaks taken there on
     * arriving) with b taken before; W = nbmax + 1 (routing/_schedule.py forward/arrivals). */
    i64 *F, *L;
    i64 *base;              /* n + 1 */
    i64 *deliv;             /* dims */
    i64 cost;
    i64 span;               /* duration for the balance term (0 unless it is weighed) */
    const i64 *d, *c;       /* the vehicle profile's padded matrices */
} Route;

typedef struct {
    uint64_t s[4];
} Rng;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(Rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void seed_rng(Rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) { /* splitmix64 */
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        r->s[i] = z ^ (z >> 31);
    }
}

static double rnd(Rng *r) { return (double)(next_u64(r) >> 11) * 0x1.0p-53; }
static i64 randrange(Rng *r, i64 m) { return m <= 1 ? 0 : (i64)(rnd(r) * (double)m); }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Earliest start >= t inside the visit's windows, or INF. */
static inline i64 first_start(const Inst *in, i64 u, i64 t) {
    for (i64 j = in->tw_off[u]; j < in->tw_off[u + 1]; j++) {
        if (t <= in->tw_e[j]) return t < in->tw_s[j] ? in->tw_s[j] : t;
    }
    return INF;
}

/* Latest arrival a with first_start(a) <= limit, or NEG. */
static inline i64 latest_arrival(const Inst *in, i64 u, i64 limit) {
    i64 best = NEG;
    for (i64 j = in->tw_off[u]; j < in->tw_off[u + 1]; j++) {
        if (in->tw_s[j] > limit) break;
        best = in->tw_e[j] < limit ? in->tw_e[j] : limit;
    }
    return best;
}

#define DUR(r, a, b) ((r)->d[(a) * sz + (b)])
#define COST(r, a, b) ((r)->c[(a) * sz + (b)])

/* Location of the stop before position p (the start, or visit p - 1). */
static inline i64 prev_loc(const Inst *in, const Route *r, i64 k, i64 p) {
    return p == 0 ? in->vstart[k] : in->loc[r->seq[p - 1]];
}

/* Location of the stop at position p (visit p, or the end). */
static inline i64 next_loc(const Inst *in, const Route *r, i64 k, i64 p) {
    return p == r->len ? in->vend[k] : in->loc[r->seq[p]];
}

/* Take any further breaks in a gap, in order: x[b] becomes the earliest time having taken b
 * breaks (Instance._gap). */
static inline void gap(const Inst *in, i64 k, i64 *x) {
    const i64 nb = in->nbrk[k], o = in->boff[k];
    for (i64 b = 1; b <= nb; b++) {
        i64 prev = x[b - 1];
        if (prev >= INF || prev > in->be[o + b - 1]) continue;
        i64 t = (prev > in->bs[o + b - 1] ? prev : in->bs[o + b - 1]) + in->bd[o + b - 1];
        if (t < x[b]) x[b] = t;
    }
}

/* Latest ready times before a gap followed by ``leg`` of travel (Instance._latest_ready). */
static inline void latest_ready(const Inst *in, i64 k, const i64 *arrive, i64 leg, i64 *ready) {
    const i64 nb = in->nbrk[k], o = in->boff[k];
    for (i64 b = 0; b <= nb; b++) ready[b] = arrive[b] > NEG ? arrive[b] - leg : NEG;
    for (i64 b = nb - 1; b >= 0; b--) {
        i64 later = ready[b + 1];
        if (later <= NEG) continue;
        i64 limit = later - in->bd[o + b];
        if (in->bs[o + b] > limit) continue;
        i64 t = in->be[o + b] < limit ? in->be[o + b] : limit;
        if (t > ready[b]) ready[b] = t;
    }
}

#define MAXW 16 /* at most MAXW - 1 breaks per vehicle in C (routing/_improve.py checks) */

/* Forward and backward states of a route with several breaks (Instance.forward/arrivals). */
static void refresh_multi(const Inst *in, Route *r, i64 k) {
    const i64 sz = in->sz, n = r->len, nb = in->nbrk[k], W = in->nbmax + 1;
    i64 a[MAXW], c[MAXW];
    i64 *F = r->F, *L = r->L;
    F[0] = in->shs[k];
    for (i64 b = 1; b <= nb; b++) F[b] = INF;
    gap(in, k, F);
    for (i64 p = 0; p < n; p++) {
        i64 i = r->seq[p];
        i64 leg = DUR(r, prev_loc(in, r, k, p), in->loc[i]);
        const i64 *st = F + p * W;
        i64 *cur = F + (p + 1) * W;
        for (i64 b = 0; b <= nb; b++) a[b] = st[b] < INF ? st[b] + leg : INF;
        if (p) gap(in, k, a);
        for (i64 b = 0; b <= nb; b++) {
            i64 s = a[b] < INF ? first_start(in, i, a[b]) : INF;
            cur[b] = s < INF ? s + in->svc[i] : INF;
        }
        gap(in, k, cur);
    }
    i64 *end = L + n * W;
    for (i64 b = 0; b < nb; b++) end[b] = NEG;
    end[nb] = in->she[k];
    const i64 *arrive = end;
    for (i64 p = n - 1; p >= 0; p--) {
        i64 i = r->seq[p];
        i64 leg = DUR(r, in->loc[i], next_loc(in, r, k, p + 1));
        latest_ready(in, k, arrive, leg, a);
        for (i64 b = 0; b <= nb; b++)
            c[b] = a[b] > NEG ? latest_arrival(in, i, a[b] - in->svc[i]) : NEG;
        latest_ready(in, k, c, 0, L + p * W);
        arrive = L + p * W;
    }
}

/* The objective's waiting of a refreshed route whose travel is ``travel``: its span, leaving
 * just in time for the first visit and ending at the earliest finish, minus travel, service and
 * breaks (routing/_schedule.py, Instance._waiting). 0 without the objective. */
static i64 waiting(const Inst *in, Route *r, i64 k, i64 travel) {
    const i64 sz = in->sz, n = r->len;
    r->span = 0;
    if (!in->wmode[0] || !n) return 0;
    const i64 nb = in->nbrk[k];
    i64 last = nb > 1 ? r->F[n * (in->nbmax + 1) + nb] : nb ? r->f1[n] : r->f0[n];
    i64 first = r->seq[0];
    i64 leg0 = DUR(r, in->vstart[k], in->loc[first]);
    i64 s1 = first_start(in, first, in->shs[k] + leg0);
    if (last >= INF || s1 >= INF) return 0;
    i64 finish = last + DUR(r, in->loc[r->seq[n - 1]], in->vend[k]);
    if (in->wmode[1] && finish - (s1 - leg0) > 0) r->span = finish - (s1 - leg0);
    i64 busy = travel;
    for (i64 b = 0; b < nb; b++) busy += in->bd[in->boff[k] + b];
    for (i64 p = 0; p < n; p++) busy += in->svc[r->seq[p]];
    i64 w = finish - (s1 - leg0) - busy;
    return w > 0 ? w : 0;
}

static void refresh(const Inst *in, Route *r, i64 k) {
    const i64 sz = in->sz, n = r->len;
    for (i64 d = 0; d < in->dims; d++) {
        i64 s = 0;
        for (i64 p = 0; p < n; p++) s += in->amount[r->seq[p] * in->dims + d];
        r->deliv[d] = s;
    }
    i64 total = 0;
    for (i64 p = 0; p <= n; p++) {
        r->base[p] = n ? COST(r, prev_loc(in, r, k, p), next_loc(in, r, k, p)) : 0;
        total += r->base[p];
    }
    r->cost = total;
    if (n && in->acost[0] >= 0)
        for (i64 p = 0; p < n; p++) r->cost += in->acost[r->seq[p] * in->nv + k];
    if (in->nbrk[k] > 1) {
        refresh_multi(in, r, k);
        r->cost += waiting(in, r, k, total);
        return;
    }
    if (!in->nbrk[k]) {
        i64 t = in->shs[k];
        r->f0[0] = t;
        for (i64 p = 0; p < n; p++) {
            i64 i = r->seq[p];
            i64 s = t < INF ? first_start(in, i, t + DUR(r, prev_loc(in, r, k, p), in->loc[i]))
                            : INF;
            t = s < INF ? s + in->svc[i] : INF;
            r->f0[p + 1] = t;
        }
        i64 late = in->she[k];
        r->l0[n] = late;
        for (i64 p = n - 1; p >= 0; p--) {
            i64 i = r->seq[p];
            i64 leave = late > NEG ? late - DUR(r, in->loc[i], next_loc(in, r, k, p + 1)) - in->svc[i]
                                   : NEG;
            late = leave > NEG ? latest_arrival(in, i, leave) : NEG;
            r->l0[p] = late;
        }
        r->cost += waiting(in, r, k, total);
        return;
    }
    const i64 bs = in->bs[in->boff[k]], be = in->be[in->boff[k]], bd = in->bd[in->boff[k]];
    i64 x0 = in->shs[k];
    i64 x1 = x0 <= be ? (x0 > bs ? x0 : bs) + bd : INF;
    r->f0[0] = x0;
    r->f1[0] = x1;
    for (i64 p = 0; p < n; p++) {
        i64 i = r->seq[p];
        i64 leg = DUR(r, prev_loc(in, r, k, p), in->loc[i]);
        i64 a0 = x0 < INF ? x0 + leg : INF;
        i64 a1 = x1 < INF ? x1 + leg : INF;
        if (p && a0 <= be) {
            i64 t = (a0 > bs ? a0 : bs) + bd;
            if (t < a1) a1 = t;
        }
        i64 s = a0 < INF ? first_start(in, i, a0) : INF;
        x0 = s < INF ? s + in->svc[i] : INF;
        s = a1 < INF ? first_start(in, i, a1) : INF;
        x1 = s < INF ? s + in->svc[i] : INF;
        if (x0 <= be) {
            i64 t = (x0 > bs ? x0 : bs) + bd;
            if (t < x1) x1 = t;
        }
        r->f0[p + 1] = x0;
        r->f1[p + 1] = x1;
    }
    i64 r0 = NEG, r1 = in->she[k];
    r->l0[n] = r0;
    r->l1[n] = r1;
    for (i64 p = n - 1; p >= 0; p--) {
        i64 i = r->seq[p];
        i64 leg = DUR(r, in->loc[i], next_loc(in, r, k, p + 1));
        i64 d0 = r0 > NEG ? r0 - leg : NEG;
        i64 d1 = r1 > NEG ? r1 - leg : NEG;
        if (d1 > NEG && d1 - bd >= bs) {
            i64 t = be < d1 - bd ? be : d1 - bd;
            if (t > d0) d0 = t;
        }
        i64 sv = in->svc[i];
        i64 c0 = d0 > NEG ? latest_arrival(in, i, d0 - sv) : NEG;
        i64 c1 = d1 > NEG ? latest_arrival(in, i, d1 - sv) : NEG;
        r0 = c0;
        r1 = c1;
        if (c1 > NEG && c1 - bd >= bs) {
            i64 t = be < c1 - bd ? be : c1 - bd;
            if (t > r0) r0 = t;
        }
        r->l0[p] = r0;
        r->l1[p] = r1;
    }
    r->cost += waiting(in, r, k, total);
}

/* Whether the refreshed route can be driven: every visit in a window, every break taken, back by
 * the end of the shift. Removing visits can break this (a break that only fitted between two
 * visits, or a matrix without the triangle inequality), so a ruin checks it. */
static int route_ok(const Inst *in, const Route *r, i64 k) {
    const i64 sz = in->sz, n = r->len;
    if (!n) return 1;
    const i64 nb = in->nbrk[k];
    i64 t = nb > 1 ? r->F[n * (in->nbmax + 1) + nb] : nb ? r->f1[n] : r->f0[n];
    return t < INF && t + DUR(r, in->loc[r->seq[n - 1]], in->vend[k]) <= in->she[k];
}

/* insertion() for a route with several breaks (RouteState._insertion). */
static i64 insertion_multi(const Inst *in, const Route *r, i64 k, i64 u, i64 *pos) {
    const i64 sz = in->sz, n = r->len, nb = in->nbrk[k], W = in->nbmax + 1;
    const i64 lu = in->loc[u], sv = in->svc[u];
    const i64 last_end = in->tw_e[in->tw_off[u + 1] - 1];
    i64 a[MAXW], e[MAXW];
    i64 best = INF;
    for (i64 p = 0; p <= n; p++) {
        const i64 *st = r->F + p * W;
        i64 pa = prev_loc(in, r, k, p), pb = next_loc(in, r, k, p);
        i64 din = DUR(r, pa, lu);
        i64 lo = st[0];
        for (i64 b = 1; b <= nb; b++)
            if (st[b] < lo) lo = st[b];
        if (lo < INF && lo + din > last_end) break; /* later positions only start later */
        if (lo >= INF) continue;
        if (p < n && in->lockp[r->seq[p]] == (p ? r->seq[p - 1] : -1)) continue;
        i64 dc = COST(r, pa, lu) + COST(r, lu, pb) - r->base[p];
        if (dc >= best) continue;
        i64 dout = DUR(r, lu, pb);
        for (i64 b = 0; b <= nb; b++) a[b] = st[b] < INF ? st[b] + din : INF;
        if (p) gap(in, k, a);
        for (i64 b = 0; b <= nb; b++) {
            i64 s = a[b] < INF ? first_start(in, u, a[b]) : INF;
            e[b] = s < INF ? s + sv : INF;
        }
        gap(in, k, e);
        const i64 *late = r->L + p * W;
        for (i64 b = 0; b <= nb; b++) {
            if (e[b] < INF && late[b] > NEG && e[b] + dout <= late[b]) {
                best = dc;
                *pos = p;
                break;
            }
        }
    }
    if (best < INF && in->acost[0] >= 0) best += in->acost[u * in->nv + k];
    return best;
}

/* Cheapest feasible position of u in route k: the cost change, or INF; *pos gets the place. */
static i64 insertion(const Inst *in, const Route *r, i64 k, i64 u, i64 *pos) {
    const i64 sz = in->sz, n = r->len;
    *pos = -1;
    if (!in->compat[u * in->nv + k] || n + 1 > in->maxv[k]) return INF;
    for (i64 d = 0; d < in->dims; d++) {
        if (r->deliv[d] + in->amount[u * in->dims + d] > in->cap[k * in->dims + d]) return INF;
    }
    const i64 lu = in->loc[u], sv = in->svc[u];
    if (in->nbrk[k] > 1) return insertion_multi(in, r, k, u, pos);
    const int brk = in->nbrk[k] != 0;
    const i64 o = in->boff[k];
    const i64 bs = brk ? in->bs[o] : 0, be = brk ? in->be[o] : 0, bd = brk ? in->bd[o] : 0;
    i64 best = INF;
    for (i64 p = 0; p <= n; p++) {
        if (p < n && in->lockp[r->seq[p]] == (p ? r->seq[p - 1] : -1)) continue;
        i64 a = prev_loc(in, r, k, p), b = next_loc(in, r, k, p);
        i64 dc = COST(r, a, lu) + COST(r, lu, b) - r->base[p];
        if (dc >= best) continue;
        i64 din = DUR(r, a, lu), dout = DUR(r, lu, b);
        if (!brk) {
            i64 s = first_start(in, u, r->f0[p] + din);
            if (s < INF && s + sv + dout <= r->l0[p]) {
                best = dc;
                *pos = p;
            }
            continue;
        }
        i64 a0 = r->f0[p] < INF ? r->f0[p] + din : INF;
        i64 a1 = r->f1[p] < INF ? r->f1[p] + din : INF;
        if (p && a0 <= be) {
            i64 t = (a0 > bs ? a0 : bs) + bd;
            if (t < a1) a1 = t;
        }
        i64 s0 = a0 < INF ? first_start(in, u, a0) : INF;
        i64 e0 = s0 < INF ? s0 + sv : INF;
        i64 s1 = a1 < INF ? first_start(in, u, a1) : INF;
        i64 e1 = s1 < INF ? s1 + sv : INF;
        if (e0 <= be) {
            i64 t = (e0 > bs ? e0 : bs) + bd;
            if (t < e1) e1 = t;
        }
        if ((e0 < INF && e0 + dout <= r->l0[p]) || (e1 < INF && e1 + dout <= r->l1[p])) {
            best = dc;
            *pos = p;
        }
    }
    if (best < INF && in->acost[0] >= 0) best += in->acost[u * in->nv + k];
    return best;
}

typedef struct {
    Inst in;
    Route *routes;
    i64 *where;       /* n: route of each visit, or -1 */
    i64 *bak_seq;     /* nv * n: routes as they were before this iteration */
    i64 *bak_len;     /* nv */
    char *touched;    /* nv */
    i64 *touched_list;
    i64 n_touched;
    i64 *compat_list; /* n * nv, compat_n[n] */
    i64 *compat_n;
    Rng rng;
    /* scratch */
    i64 *removed, *todo, *mark, *cand, *empties, *where_bak, *served;
    double *keybuf;
    i64 stamp;
    double blink, focus_share, avg_removed, max_string;
    /* A cap on moves (params[8] >= 0): at most max_moves served visits u may sit on another
     * route than home[u] (their current vehicle; -1 none). A plan over the cap is never
     * accepted, unless it has no more moves than the plan it came from. */
    i64 max_moves;
    const double *home;
} Search;

static void touch(Search *S, i64 k) {
    if (S->touched[k]) return;
    S->touched[k] = 1;
    S->touched_list[S->n_touched++] = k;
    S->bak_len[k] = S->routes[k].len;
    memcpy(S->bak_seq + k * S->in.n, S->routes[k].seq, sizeof(i64) * S->routes[k].len);
}

static void insert_at(Search *S, i64 k, i64 u, i64 p) {
    Route *r = &S->routes[k];
    memmove(r->seq + p + 1, r->seq + p, sizeof(i64) * (r->len - p));
    r->seq[p] = u;
    r->len++;
    refresh(&S->in, r, k);
}

/* Remove strings of visits near a random served visit (or near ``focus``); returns how many. */
static i64 ruin(Search *S, i64 focus) {
    const Inst *in = &S->in;
    i64 ns = 0;
    for (i64 i = 0; i < in->n; i++)
        if (S->where[i] >= 0) S->served[ns++] = i;
    if (!ns) return 0;
    i64 tot = 0, cnt = 0;
    for (i64 k = 0; k < in->nv; k++)
        if (S->routes[k].len) {
            tot += S->routes[k].len;
            cnt++;
        }
    double avg_len = (double)tot / (double)cnt;
    double lmax = S->max_string < avg_len ? S->max_string : avg_len;
    double ks_max = 4.0 * S->avg_removed / (1.0 + lmax) - 1.0;
    i64 ks = (i64)(rnd(&S->rng) * ks_max) + 1;
    i64 seed = focus >= 0 ? focus : S->served[randrange(&S->rng, ns)];
    i64 nrem = 0, nruined = 0;
    S->stamp++;
    const i64 *nb = in->neigh + seed * in->n;
    for (i64 j = 0; j < in->n && nruined < ks; j++) {
        i64 c = nb[j];
        i64 k = S->where[c];
        if (k < 0 || S->mark[k] == S->stamp || in->fixed[c]) continue;
        Route *r = &S->routes[k];
        i64 len = r->len;
        double lmax_r = (double)len < lmax ? (double)len : lmax;
        i64 size = (i64)(rnd(&S->rng) * lmax_r) + 1;
        i64 pos = 0;
        while (r->seq[pos] != c) pos++;
        i64 lo, hi, ks0 = 0, ks1 = 0; /* take [lo, hi) except [ks0, ks1) */
        if (rnd(&S->rng) < 0.5 || size >= len) {
            lo = pos - randrange(&S->rng, size);
            if (lo > len - size) lo = len - size;
            if (lo < 0) lo = 0;
            hi = lo + size;
        } else {
            i64 keep = 1;
            while (rnd(&S->rng) < 0.99 && size + keep < len) keep++;
            i64 total = size + keep;
            lo = pos - randrange(&S->rng, total);
            if (lo > len - total) lo = len - total;
            if (lo < 0) lo = 0;
            hi = lo + total;
            ks0 = lo + randrange(&S->rng, size + 1);
            ks1 = ks0 + keep;
        }
        i64 out = 0;
        for (i64 p = lo; p < hi; p++)
            if (!(ks0 <= p && p < ks1) && !in->fixed[r->seq[p]]) out++;
        if (!out) continue;
        touch(S, k);
        i64 w = 0, kept = nrem;
        for (i64 p = 0; p < len; p++) {
            i64 v = r->seq[p];
            if (p >= lo && p < hi && !(ks0 <= p && p < ks1) && !in->fixed[v])
                S->removed[nrem++] = v;
            else
                r->seq[w++] = v;
        }
        r->len = w;
        refresh(in, r, k);
        if (!route_ok(in, r, k)) { /* what is left cannot be driven: leave this route be */
            r->len = S->bak_len[k];
            memcpy(r->seq, S->bak_seq + k * in->n, sizeof(i64) * r->len);
            refresh(in, r, k);
            nrem = kept;
            continue;
        }
        S->mark[k] = S->stamp;
        nruined++;
    }
    for (i64 j = 0; j < nrem; j++) S->where[S->removed[j]] = -1;
    return nrem;
}

static void sort_by(i64 *a, i64 m, const double *key) {
    /* Stable insertion sort by key[a[i]]. */
    for (i64 i = 1; i < m; i++) {
        i64 v = a[i];
        double kv = key[v];
        i64 j = i - 1;
        while (j >= 0 && key[a[j]] > kv) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

typedef struct {
    i64 cost, k, pos;
} Place;

/* Try u on route k (of the empty routes only the one per class in ``empties``); keep the place
 * when it is cheaper than ``best`` and, with ``blink``, not skipped by a blink. */
static void try_route(Search *S, const i64 *empties, i64 k, i64 u, int blink, Place *best) {
    if (!S->routes[k].len && empties[S->in.klass[k]] != k) return;
    i64 p;
    i64 c = insertion(&S->in, &S->routes[k], k, u, &p);
    if (c < best->cost && (!blink || rnd(&S->rng) >= S->blink)) {
        best->cost = c;
        best->k = k;
        best->pos = p;
    }
}

/* Add route k to the candidates of u (once per stamp) when it may serve u. */
static void add_candidate(Search *S, i64 u, i64 k, i64 *nc) {
    if (k >= 0 && S->in.compat[u * S->in.nv + k] && S->mark[k] != S->stamp) {
        S->mark[k] = S->stamp;
        S->cand[(*nc)++] = k;
    }
}

/* Served visits on another route than their current vehicle's. */
static i64 moves_of(const Search *S) {
    i64 m = 0;
    for (i64 i = 0; i < S->in.n; i++) {
        i64 h = (i64)S->home[i];
        if (S->where[i] >= 0 && h >= 0 && S->where[i] != h) m++;
    }
    return m;
}

static void recreate(Search *S, i64 m, i64 first, char *retried) {
    const Inst *in = &S->in;
    i64 *todo = S->todo;
    double r = rnd(&S->rng);
    if (r < 0.4) {
        for (i64 i = m - 1; i > 0; i--) {
            i64 j = randrange(&S->rng, i + 1);
            i64 t = todo[i];
            todo[i] = todo[j];
            todo[j] = t;
        }
    } else {
        double *key = S->keybuf;
        for (i64 j = 0; j < m; j++) {
            i64 u = todo[j];
            if (r < 0.6)
                key[u] = -(double)in->svc[u];
            else if (r < 0.8)
                key[u] = (double)(in->tw_e[in->tw_off[u + 1] - 1] - in->tw_s[in->tw_off[u]]);
            else
                key[u] = -(double)in->prio[u];
        }
        sort_by(todo, m, key);
    }
    if (first >= 0) {
        i64 j = 0;
        while (todo[j] != first) j++;
        for (; j > 0; j--) todo[j] = todo[j - 1];
        todo[0] = first;
    }
    i64 *empties = S->empties; /* per class: an empty usable vehicle, or -1 */
    for (i64 k = 0; k < in->nv; k++) empties[k] = -1;
    for (i64 k = 0; k < in->nv; k++)
        if (!S->routes[k].len && in->usable[k] && empties[in->klass[k]] < 0)
            empties[in->klass[k]] = k;
    /* Under a cap on moves, once the plan is at the cap a visit may only go back to its own
     * vehicle (a plan over the cap would be refused anyway). */
    i64 moves_now = S->max_moves >= 0 ? moves_of(S) : 0;
    for (i64 j = 0; j < m; j++) {
        i64 u = todo[j];
        Place best = {INF, -1, -1};
        const i64 *cl = S->compat_list + u * in->nv;
        i64 cn = S->compat_n[u];
        i64 h = S->max_moves >= 0 ? (i64)S->home[u] : -1;
        if (h >= 0 && moves_now >= S->max_moves) {
            if (in->compat[u * in->nv + h]) {
                i64 p;
                i64 c = insertion(in, &S->routes[h], h, u, &p);
                if (c < INF) best = (Place){c, h, p};
            }
        } else if (!retried[u]) {
            /* Routes holding one of the nearest visits, and the empty ones. */
            S->stamp++;
            i64 nc = 0;
            const i64 *nb = in->neigh + u * in->n;
            i64 lim = in->n < 31 ? in->n : 31;
            for (i64 q = 1; q < lim; q++) add_candidate(S, u, S->where[nb[q]], &nc);
            for (i64 c = 0; c < in->nv; c++) add_candidate(S, u, empties[c], &nc);
            for (i64 q = 0; q < nc; q++) try_route(S, empties, S->cand[q], u, 1, &best);
            if (best.k < 0) {
                /* Nothing nearby fits: try every vehicle before giving up on the visit. */
                for (i64 q = 0; q < cn; q++)
                    if (S->mark[cl[q]] != S->stamp) try_route(S, empties, cl[q], u, 0, &best);
            }
        } else {
            for (i64 q = 0; q < cn; q++) try_route(S, empties, cl[q], u, 1, &best);
        }
        if (best.k < 0) continue; /* stays unserved */
        i64 bk = best.k;
        if (h >= 0 && bk != h) moves_now++;
        int was_empty = S->routes[bk].len == 0;
        touch(S, bk);
        insert_at(S, bk, u, best.pos);
        S->where[u] = bk;
        i64 c = in->klass[bk];
        if (was_empty && empties[c] == bk) {
            empties[c] = -1;
            for (i64 k2 = 0; k2 < in->nv; k2++)
                if (in->klass[k2] == c && !S->routes[k2].len && in->usable[k2]) {
                    empties[c] = k2;
                    break;
                }
        }
    }
}

typedef struct {
    i64 prio, count;
    i64 cost;
} Key;

/* The balance term: weight (thousandths) times the spread of the used routes' spans. */
static i64 balance(const Search *S) {
    if (!S->in.wmode[1]) return 0;
    i64 lo = INF, hi = -1;
    for (i64 k = 0; k < S->in.nv; k++) {
        const Route *r = &S->routes[k];
        if (!r->len) continue;
        if (r->span < lo) lo = r->span;
        if (r->span > hi) hi = r->span;
    }
    return hi < 0 ? 0 : S->in.wmode[1] * (hi - lo) / 1000;
}

static Key key_of(const Search *S) {
    Key key = {0, 0, 0};
    for (i64 i = 0; i < S->in.n; i++)
        if (S->where[i] >= 0) {
            key.prio -= S->in.prio[i];
            key.count -= 1;
        }
    for (i64 k = 0; k < S->in.nv; k++) key.cost += S->routes[k].cost;
    key.cost += balance(S);
    return key;
}

static int key_less(Key a, Key b) {
    if (a.prio != b.prio) return a.prio < b.prio;
    if (a.count != b.count) return a.count < b.count;
    return a.cost < b.cost;
}

static double total(const Search *S) {
    double c = 0;
    for (i64 k = 0; k < S->in.nv; k++) c += (double)S->routes[k].cost;
    c += (double)balance(S);
    for (i64 i = 0; i < S->in.n; i++)
        if (S->where[i] < 0) c += S->in.pen[i];
    return c;
}

/* Read the instance out of the blob (pointers into it); -1 with an exception when malformed. */
static int parse_inst(const Py_buffer *vb, Inst *in) {
    const i64 *blob = (const i64 *)vb->buf;
    Py_ssize_t blob_len = vb->len / 8;
    if (blob_len < HEADER + F_COUNT) {
        PyErr_SetString(PyExc_ValueError, "blob too short");
        return -1;
    }
    in->n = blob[0];
    in->nv = blob[1];
    in->sz = blob[2];
    in->dims = blob[3];
    const i64 *off = blob + HEADER;
    for (int f = 0; f < F_COUNT; f++) {
        if (off[f] < HEADER + F_COUNT || off[f] > blob_len) {
            PyErr_SetString(PyExc_ValueError, "bad blob offsets");
            return -1;
        }
    }
#define FIELD(f) (blob + off[f])
    in->loc = FIELD(F_LOC);
    in->svc = FIELD(F_SVC);
    in->prio = FIELD(F_PRIO);
    in->fixed = FIELD(F_FIXED);
    in->tw_off = FIELD(F_TWOFF);
    in->tw_s = FIELD(F_TWS);
    in->tw_e = FIELD(F_TWE);
    in->amount = FIELD(F_AMOUNT);
    in->vstart = FIELD(F_VSTART);
    in->vend = FIELD(F_VEND);
    in->shs = FIELD(F_SHS);
    in->she = FIELD(F_SHE);
    in->nbrk = FIELD(F_NBRK);
    in->bs = FIELD(F_BS);
    in->be = FIELD(F_BE);
    in->bd = FIELD(F_BD);
    in->maxv = FIELD(F_MAXV);
    in->cap = FIELD(F_CAP);
    in->prof = FIELD(F_PROF);
    in->klass = FIELD(F_KLASS);
    in->usable = FIELD(F_USABLE);
    in->dur = FIELD(F_DUR);
    in->cost = FIELD(F_COST);
    in->compat = FIELD(F_COMPAT);
    in->neigh = FIELD(F_NEIGH);
    in->lockp = FIELD(F_LOCKP);
    in->acost = FIELD(F_ACOST);
    in->wmode = FIELD(F_WMODE);
    in->boff = FIELD(F_BOFF);
    in->nbmax = 0;
    for (i64 k = 0; k < in->nv; k++) {
        if (in->nbrk[k] < 0 || in->nbrk[k] >= MAXW) {
            PyErr_SetString(PyExc_ValueError, "too many breaks for the C loop");
            return -1;
        }
        if (in->nbrk[k] > in->nbmax) in->nbmax = in->nbrk[k];
    }
    return 0;
}

static int get_buffer(PyObject *obj, Py_buffer *view, int writable, Py_ssize_t item) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    if (view->itemsize != item) {
        PyErr_SetString(PyExc_TypeError, "buffer of the wrong item size");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *py_sisr(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *o_blob, *o_pen, *o_routes, *o_keys, *o_params;
    if (!PyArg_ParseTuple(args, "OOOOO", &o_blob, &o_pen, &o_routes, &o_keys, &o_params))
        return NULL;
    Py_buffer vb, vp, vr, vk, vq;
    if (get_buffer(o_blob, &vb, 0, 8) < 0) return NULL;
    if (get_buffer(o_pen, &vp, 0, 8) < 0) goto fail1;
    if (get_buffer(o_routes, &vr, 1, 8) < 0) goto fail2;
    if (get_buffer(o_keys, &vk, 1, 8) < 0) goto fail3;
    if (get_buffer(o_params, &vq, 0, 8) < 0) goto fail4;

    Search S;
    memset(&S, 0, sizeof S);
    Inst *in = &S.in;
    if (parse_inst(&vb, in) < 0) goto fail5;
    in->pen = (const double *)vp.buf;
    const double *q = (const double *)vq.buf;
    if (vq.len / 8 < 9 || vk.len / 8 < 3 || vp.len / 8 < in->n ||
        vr.len / 8 < 2 * (in->nv + in->n)) {
        PyErr_SetString(PyExc_ValueError, "buffers too short");
        goto fail5;
    }
    S.max_moves = q[8] >= 0 ? (i64)q[8] : -1;
    if (S.max_moves >= 0 && vq.len / 8 < 9 + in->n) {
        PyErr_SetString(PyExc_ValueError, "a cap on moves needs each visit's home route");
        goto fail5;
    }
    S.home = q + 9;
    const i64 n = in->n, nv = in->nv;
    i64 *rt = (i64 *)vr.buf;
    double *keys = (double *)vk.buf;
    seed_rng(&S.rng, (uint64_t)q[0]);
    double seconds = q[1], t_start = q[2], t_end = q[3];
    S.avg_removed = q[4];
    S.max_string = q[5];
    S.blink = q[6];
    S.focus_share = q[7];

    /* One allocation for everything. */
    const i64 W = in->nbmax > 1 ? in->nbmax + 1 : 0; /* several-break states, when needed */
    size_t words = (size_t)nv * (5 * (n + 1) + n + (in->dims ? in->dims : 1)) /* routes */
                   + (size_t)nv * 2 * (n + 1) * W
                   + (size_t)n                                               /* where */
                   + (size_t)nv * n + nv + nv                                /* backups */
                   + (size_t)n * nv + n                                      /* compat */
                   + (size_t)n * 5 + nv * 3 + n                              /* scratch */
                   + (size_t)n * 3 + nv;
    i64 *mem = calloc(words + 16, sizeof(i64));
    char *flags = calloc((size_t)nv + 2 * (size_t)n + 16, 1);
    Route *routes = calloc((size_t)nv + 1, sizeof(Route));
    if (!mem || !flags || !routes) {
        free(mem);
        free(flags);
        free(routes);
        PyErr_NoMemory();
        goto fail5;
    }
    i64 *w = mem;
    S.routes = routes;
    for (i64 k = 0; k < nv; k++) {
        Route *r = &routes[k];
        r->seq = w, w += n;
        r->f0 = w, w += n + 1;
        r->f1 = w, w += n + 1;
        r->l0 = w, w += n + 1;
        r->l1 = w, w += n + 1;
        r->base = w, w += n + 1;
        r->deliv = w, w += in->dims ? in->dims : 1;
        r->F = w, w += (n + 1) * W;
        r->L = w, w += (n + 1) * W;
        i64 pr = in->prof[k];
        r->d = in->dur + pr * in->sz * in->sz;
        r->c = in->cost + pr * in->sz * in->sz;
    }
    S.where = w, w += n;
    S.bak_seq = w, w += nv * n;
    S.bak_len = w, w += nv;
    S.touched_list = w, w += nv;
    S.compat_list = w, w += n * nv;
    S.compat_n = w, w += n;
    S.removed = w, w += n;
    S.todo = w, w += 2 * n;
    S.served = w, w += n;
    S.where_bak = w, w += n;
    S.mark = w, w += nv;
    S.cand = w, w += nv;
    S.empties = w, w += nv;
    S.keybuf = (double *)w, w += n;
    i64 *best_seq = w;
    w += n;
    i64 *best_len = w;
    w += nv;
    i64 *unserved = w;
    w += n;
    S.touched = flags;
    char *retried = flags + nv;

    for (i64 u = 0; u < n; u++) {
        i64 c = 0;
        for (i64 k = 0; k < nv; k++)
            if (in->compat[u * nv + k]) S.compat_list[u * nv + c++] = k;
        S.compat_n[u] = c;
        S.where[u] = -1;
    }
    /* Current routes in, best routes in. */
    {
        i64 at = nv;
        for (i64 k = 0; k < nv; k++) {
            Route *r = &routes[k];
            r->len = rt[k];
            memcpy(r->seq, rt + at, sizeof(i64) * r->len);
            at += r->len;
            for (i64 p = 0; p < r->len; p++) S.where[r->seq[p]] = k;
            refresh(in, r, k);
        }
        i64 b0 = nv + n;
        at = b0 + nv;
        i64 ab = 0;
        for (i64 k = 0; k < nv; k++) {
            best_len[k] = rt[b0 + k];
            memcpy(best_seq + ab, rt + at, sizeof(i64) * best_len[k]);
            at += best_len[k];
            ab += best_len[k];
        }
    }
    Key best_key = {(i64)keys[0], (i64)keys[1], (i64)keys[2]};
    double cur = total(&S);
    i64 cur_moves = S.max_moves >= 0 ? moves_of(&S) : 0;
    i64 iterations = 0;

    Py_BEGIN_ALLOW_THREADS;
    double start = now_s();
    double span = seconds > 1e-6 ? seconds : 1e-6;
    double ratio = t_start > 0 ? t_end / t_start : 1.0;
    for (;;) {
        double el = now_s() - start;
        if (el >= seconds) break;
        double temp = t_start * pow(ratio, el / span);
        S.n_touched = 0;
        memcpy(S.where_bak, S.where, sizeof(i64) * n);
        i64 nu = 0;
        for (i64 i = 0; i < n; i++)
            if (S.where[i] < 0) unserved[nu++] = i;
        i64 focus = -1;
        if (nu && rnd(&S.rng) < S.focus_share) focus = unserved[randrange(&S.rng, nu)];
        i64 nrem = ruin(&S, focus);
        memcpy(S.todo, S.removed, sizeof(i64) * nrem);
        i64 m = nrem;
        for (i64 j = 0; j < n; j++) retried[j] = 0;
        /* Unserved visits are retried when the ruin freed room near them (or now and then). */
        for (i64 j = 0; j < nu; j++) {
            i64 i = unserved[j];
            int take = i == focus || rnd(&S.rng) < 0.05;
            if (!take) {
                const i64 *nb = in->neigh + i * n;
                i64 lim = n < 16 ? n : 16;
                for (i64 x = 1; x < lim && !take; x++)
                    take = S.where[nb[x]] < 0 && S.where_bak[nb[x]] >= 0;
            }
            if (take) {
                S.todo[m++] = i;
                retried[i] = 1;
            }
        }
        recreate(&S, m, focus, retried);
        double cost = total(&S);
        iterations++;
        i64 mv = S.max_moves >= 0 ? moves_of(&S) : 0;
        int capped = S.max_moves >= 0 && mv > S.max_moves && mv > cur_moves;
        if (!capped && cost < cur - temp * log(rnd(&S.rng) + 1e-300)) {
            cur = cost;
            cur_moves = mv;
            Key key = key_of(&S);
            if ((S.max_moves < 0 || mv <= S.max_moves) && key_less(key, best_key)) {
                best_key = key;
                i64 ab = 0;
                for (i64 k = 0; k < nv; k++) {
                    best_len[k] = routes[k].len;
                    memcpy(best_seq + ab, routes[k].seq, sizeof(i64) * routes[k].len);
                    ab += routes[k].len;
                }
            }
        } else {
            for (i64 t = 0; t < S.n_touched; t++) {
                i64 k = S.touched_list[t];
                routes[k].len = S.bak_len[k];
                memcpy(routes[k].seq, S.bak_seq + k * n, sizeof(i64) * S.bak_len[k]);
                refresh(in, &routes[k], k);
            }
            memcpy(S.where, S.where_bak, sizeof(i64) * n);
        }
        for (i64 t = 0; t < S.n_touched; t++) S.touched[S.touched_list[t]] = 0;
    }
    Py_END_ALLOW_THREADS;

    {
        i64 at = nv;
        for (i64 k = 0; k < nv; k++) {
            rt[k] = routes[k].len;
            memcpy(rt + at, routes[k].seq, sizeof(i64) * routes[k].len);
            at += routes[k].len;
        }
        i64 b0 = nv + n;
        at = b0 + nv;
        i64 ab = 0;
        for (i64 k = 0; k < nv; k++) {
            rt[b0 + k] = best_len[k];
            memcpy(rt + at, best_seq + ab, sizeof(i64) * best_len[k]);
            at += best_len[k];
            ab += best_len[k];
        }
        keys[0] = (double)best_key.prio;
        keys[1] = (double)best_key.count;
        keys[2] = (double)best_key.cost;
    }
    free(mem);
    free(flags);
    free(routes);
    PyBuffer_Release(&vq);
    PyBuffer_Release(&vk);
    PyBuffer_Release(&vr);
    PyBuffer_Release(&vp);
    PyBuffer_Release(&vb);
    return PyLong_FromLongLong(iterations);

fail5:
    PyBuffer_Release(&vq);
fail4:
    PyBuffer_Release(&vk);
fail3:
    PyBuffer_Release(&vr);
fail2:
    PyBuffer_Release(&vp);
fail1:
    PyBuffer_Release(&vb);
    return NULL;
}


/* insertion(blob, seq, k, u) -> (cost change, position): one check, for tests. */
static PyObject *py_insertion(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *o_blob, *o_seq;
    long long k, u;
    if (!PyArg_ParseTuple(args, "OOLL", &o_blob, &o_seq, &k, &u)) return NULL;
    Py_buffer vb, vs;
    if (get_buffer(o_blob, &vb, 0, 8) < 0) return NULL;
    if (get_buffer(o_seq, &vs, 0, 8) < 0) {
        PyBuffer_Release(&vb);
        return NULL;
    }
    PyObject *res = NULL;
    Inst in;
    memset(&in, 0, sizeof in);
    if (parse_inst(&vb, &in) == 0) {
        i64 n = in.n, len = vs.len / 8;
        if (k < 0 || k >= in.nv || u < 0 || u >= n || len > n) {
            PyErr_SetString(PyExc_ValueError, "vehicle, visit or route out of range");
        } else {
            i64 W = in.nbmax + 1;
            i64 *mem = calloc((size_t)((6 + 2 * W) * (n + 1) + in.dims + 1), sizeof(i64));
            if (!mem) {
                PyErr_NoMemory();
            } else {
                Route r;
                r.seq = mem;
                r.f0 = mem + (n + 1);
                r.f1 = mem + 2 * (n + 1);
                r.l0 = mem + 3 * (n + 1);
                r.l1 = mem + 4 * (n + 1);
                r.base = mem + 5 * (n + 1);
                r.deliv = mem + 6 * (n + 1);
                r.F = mem + 6 * (n + 1) + in.dims + 1;
                r.L = r.F + W * (n + 1);
                r.len = len;
                memcpy(r.seq, vs.buf, sizeof(i64) * len);
                r.d = in.dur + in.prof[k] * in.sz * in.sz;
                r.c = in.cost + in.prof[k] * in.sz * in.sz;
                refresh(&in, &r, k);
                i64 pos;
                i64 c = insertion(&in, &r, k, u, &pos);
                res = Py_BuildValue("(LL)", (long long)c, (long long)pos);
                free(mem);
            }
        }
    }
    PyBuffer_Release(&vs);
    PyBuffer_Release(&vb);
    return res;
}

static PyMethodDef methods[] = {
    {"insertion", py_insertion, METH_VARARGS,
     "insertion(blob, seq, k, u) -> (cost change, position), or (INF, -1)."},
    {"sisr", py_sisr, METH_VARARGS,
     "sisr(blob, penalty, routes, keys, params) -> iterations: ruin-and-recreate for a while."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "routing._sisr", "Compiled SISR inner loop.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__sisr(void) { return PyModule_Create(&module); }

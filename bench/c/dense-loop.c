/*
 * The reference loops of `npm run bench` (issue 14): what C -O2 does with the core workload, measured
 * in the same run as the engine so that the ratio is not a figure from another day.
 *
 *   dense-loop ids FILE PAGES LOCAL_PAGES REPS   pre-translated dense page ids (int32 codes
 *                                                (id << 1) | write, as sim/id-stream.ts writes them):
 *                                                first-touch placement into tier 0 while it has
 *                                                room, then tier 1; per access the page's state byte
 *                                                (tier, accessed, dirty), the tier's latency into the
 *                                                latency sum and the clock, per-tier counts.
 *   dense-loop hash FILE PAGES REPS              64-bit page numbers (uint64) translated to dense ids
 *                                                through an open-addressing hash (linear probing,
 *                                                ≤ 70 % full, the multiply-xorshift hash of
 *                                                sim/page-table.ts), new pages numbered in order.
 *
 * Prints "accesses cpu_seconds" for the best of REPS repetitions (process CPU time). Each repetition
 * allocates its tables inside the timed region, as each engine run does (on a VM a fresh page costs
 * a page fault: leaving it out would time the C loop on warm memory only).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *slurp(const char *path, size_t *bytes) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  *bytes = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  void *p = malloc(*bytes);
  if (fread(p, 1, *bytes, f) != *bytes) { perror(path); exit(2); }
  fclose(f);
  return p;
}

static int run_ids(const char *path, long pages, long local, int reps) {
  size_t bytes;
  const int32_t *code = slurp(path, &bytes);
  const long n = (long)(bytes / 4);
  const double lat[4] = {100, 100, 180, 180}; /* tier 0 read/write, tier 1 read/write (ddr5-cxl) */
  const double inv_mlp = 0.5, gap = 20, first_touch = 1000 + 4096 / 10.0;
  double best = 1e30, sink = 0;
  for (int r = 0; r < reps; r++) {
    double t0 = cpu_now();
    uint8_t *state = calloc(pages, 1); /* 0 = no frame; else 0x80 | tier << 2 | dirty << 1 | accessed */
    long used0 = 0;
    double clock = 0, lat_sum = 0;
    long count[4] = {0, 0, 0, 0};
    for (long i = 0; i < n; i++) {
      int32_t x = code[i];
      int w = x & 1;
      long id = (uint32_t)x >> 1;
      uint8_t s = state[id];
      clock += gap;
      if (!(s & 0x80)) {
        int tier = used0 < local ? 0 : 1;
        used0 += tier == 0;
        s = 0x80 | (tier << 2);
        clock += first_touch;
      }
      state[id] = s | 1 | (w << 1);
      int k = ((s >> 2) & 1) * 2 + w;
      count[k]++;
      lat_sum += lat[k];
      clock += lat[k] * inv_mlp;
    }
    double t = cpu_now() - t0;
    free(state);
    if (t < best) best = t;
    sink += clock + lat_sum + count[0] + count[3];
  }
  printf("%ld %.6f %g\n", n, best, sink > 0 ? 0.0 : 1.0);
  return 0;
}

static inline uint32_t hash32(uint32_t key, uint32_t lo) {
  uint32_t h = (lo ^ (key * 0x9e3779b1u)) * 0x85ebca6bu;
  return h ^ (h >> 15);
}

static int run_hash(const char *path, long pages, int reps) {
  size_t bytes;
  const uint64_t *vpn = slurp(path, &bytes);
  const long n = (long)(bytes / 8);
  long slots = 16;
  while (slots * 0.7 < pages) slots *= 2;
  int32_t *out = malloc(n * 4);
  double best = 1e30;
  long distinct = 0;
  for (int r = 0; r < reps; r++) {
    double t0 = cpu_now();
    int32_t *table = malloc(slots * 4);
    uint64_t *keys = malloc(pages * 8);
    memset(table, 0xff, slots * 4);
    distinct = 0;
    for (long i = 0; i < n; i++) {
      uint64_t v = vpn[i];
      uint32_t s = hash32((uint32_t)(v >> 32), (uint32_t)v) & (slots - 1);
      int32_t id;
      for (;;) {
        id = table[s];
        if (id < 0) { id = (int32_t)distinct++; keys[id] = v; table[s] = id; break; }
        if (keys[id] == v) break;
        s = (s + 1) & (slots - 1);
      }
      out[i] = id;
    }
    double t = cpu_now() - t0;
    free(table);
    free(keys);
    if (t < best) best = t;
  }
  printf("%ld %.6f %ld\n", n, best, distinct + out[n - 1] * 0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && !strcmp(argv[1], "ids")) return run_ids(argv[2], atol(argv[3]), atol(argv[4]), atoi(argv[5]));
  if (argc == 5 && !strcmp(argv[1], "hash")) return run_hash(argv[2], atol(argv[3]), atoi(argv[4]));
  fprintf(stderr, "usage: dense-loop ids FILE PAGES LOCAL_PAGES REPS | dense-loop hash FILE PAGES REPS\n");
  return 2;
}

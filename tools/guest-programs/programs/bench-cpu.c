/* CPU-bound benchmark: integer loops, quicksort, matrix multiply, CRC32.
 * Fixed work; prints one checksum per kernel and a total. BENCH_SMALL shrinks it for tests. */
#include "guest.h"

#ifdef BENCH_SMALL
#define ROUNDS 1
#define SORT_N 4096
#define MAT_N 32
#define CRC_BYTES (64 * 1024)
#define LOOP_ITERS 200000
#else
#define ROUNDS 10
#define SORT_N 65536
#define MAT_N 96
#define CRC_BYTES (1024 * 1024)
#define LOOP_ITERS 12000000
#endif

static uint64_t rng_state;

static uint32_t next_random(void) {
  /* xorshift64*: deterministic, no libc. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static uint64_t integer_loops(uint64_t seed) {
  uint64_t a = seed, b = 1, c = 0;
  for (uint64_t i = 0; i < LOOP_ITERS; i++) {
    a = a * 6364136223846793005ull + 1442695040888963407ull;
    b += (a >> 33) ^ (b << 3);
    c ^= (a % 1000003) + (b / 7 | 1);
  }
  return a ^ b ^ c;
}

static int32_t sort_data[SORT_N];

static void quicksort(int32_t *v, long lo, long hi) {
  while (lo < hi) {
    int32_t pivot = v[lo + (hi - lo) / 2];
    long i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        int32_t t = v[i];
        v[i++] = v[j];
        v[j--] = t;
      }
    }
    /* Recurse into the smaller half to bound the stack. */
    if (j - lo < hi - i) {
      quicksort(v, lo, j);
      lo = i;
    } else {
      quicksort(v, i, hi);
      hi = j;
    }
  }
}

static uint64_t sort_kernel(void) {
  for (long i = 0; i < SORT_N; i++) sort_data[i] = (int32_t)next_random();
  quicksort(sort_data, 0, SORT_N - 1);
  uint64_t sum = 0;
  for (long i = 0; i < SORT_N; i++) {
    if (i > 0 && sort_data[i - 1] > sort_data[i]) return 0;
    sum = sum * 31 + (uint32_t)sort_data[i];
  }
  return sum;
}

static int64_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];

static uint64_t matmul_kernel(void) {
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      mat_a[i][j] = (int64_t)(next_random() % 2001) - 1000;
      mat_b[i][j] = (int64_t)(next_random() % 2001) - 1000;
    }
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      int64_t s = 0;
      for (int k = 0; k < MAT_N; k++) s += mat_a[i][k] * mat_b[k][j];
      mat_c[i][j] = s;
    }
  uint64_t sum = 0;
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) sum = sum * 1099511628211ull + (uint64_t)mat_c[i][j];
  return sum;
}

static uint8_t crc_buffer[CRC_BYTES];
static uint32_t crc_table[256];

static uint64_t crc_kernel(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[n] = c;
  }
  for (long i = 0; i < CRC_BYTES; i++) crc_buffer[i] = (uint8_t)next_random();
  uint32_t crc = 0xffffffffu;
  for (long i = 0; i < CRC_BYTES; i++) crc = crc_table[(crc ^ crc_buffer[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

int main(void) {
  uint64_t total = 0;
  uint64_t t0 = csr_read(instret);
  for (int round = 0; round < ROUNDS; round++) {
    rng_state = 0x9e3779b97f4a7c15ull + (uint64_t)round;
    uint64_t loops = integer_loops((uint64_t)round + 1);
    uint64_t sorted = sort_kernel();
    uint64_t matrix = matmul_kernel();
    uint64_t crc = crc_kernel();
    printf("round %d: loops %016lx sort %016lx matmul %016lx crc32 %08lx\n", round, loops, sorted, matrix, crc);
    if (sorted == 0) {
      printf("FAIL sort produced unsorted output\n");
      guest_exit(1);
    }
    total ^= loops ^ sorted ^ matrix ^ crc;
    total = (total << 7) | (total >> 57);
  }
#ifdef BENCH_REPORT_INSTRET
  printf("instret %lu\n", csr_read(instret) - t0);
#else
  (void)t0;
#endif
  printf("checksum %016lx\nPASS\n", total);
  return 0;
}

/* A freestanding runtime for the compiled-program differential tests: Linux i386 system calls
 * through int 0x80 (write, exit), memory and string helpers, and a small printf. */
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned char u8;
typedef unsigned short u16;

static inline int sys_write(int fd, const void *buf, u32 len) {
  int r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(fd), "c"(buf), "d"(len) : "memory");
  return r;
}

static inline void sys_exit(int code) {
  __asm__ volatile("int $0x80" ::"a"(1), "b"(code));
  for (;;) {
  }
}

void *memset(void *d, int c, u32 n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}

void *memcpy(void *d, const void *s, u32 n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}

void *memmove(void *d, const void *s, u32 n) {
  u8 *p = d;
  const u8 *q = s;
  if (p < q) while (n--) *p++ = *q++;
  else { p += n; q += n; while (n--) *--p = *--q; }
  return d;
}

int memcmp(const void *a, const void *b, u32 n) {
  const u8 *p = a, *q = b;
  for (; n; n--, p++, q++) if (*p != *q) return *p - *q;
  return 0;
}

/* libgcc's 64-bit division, written here (no libgcc for -m32 on the host): shift-subtract. */
u64 __udivmoddi4(u64 n, u64 d, u64 *rem) {
  u64 q = 0;
  if (d == 0) return 0;
  int shift = 0;
  while ((d << 1) > d && (d << 1) <= n) { d <<= 1; shift++; }
  for (; shift >= 0; shift--) {
    q <<= 1;
    if (n >= d) { n -= d; q |= 1; }
    d >>= 1;
  }
  if (rem) *rem = n;
  return q;
}
u64 __udivdi3(u64 n, u64 d) { return __udivmoddi4(n, d, 0); }
u64 __umoddi3(u64 n, u64 d) { u64 r; __udivmoddi4(n, d, &r); return r; }
i64 __divdi3(i64 n, i64 d) {
  int neg = (n < 0) != (d < 0);
  u64 q = __udivdi3(n < 0 ? -(u64)n : (u64)n, d < 0 ? -(u64)d : (u64)d);
  return neg ? -(i64)q : (i64)q;
}
i64 __moddi3(i64 n, i64 d) {
  u64 r = __umoddi3(n < 0 ? -(u64)n : (u64)n, d < 0 ? -(u64)d : (u64)d);
  return n < 0 ? -(i64)r : (i64)r;
}

static char outbuf[4096];
static u32 outlen;

static void flush(void) {
  if (outlen) sys_write(1, outbuf, outlen);
  outlen = 0;
}

static void putch(char c) {
  if (outlen == sizeof outbuf) flush();
  outbuf[outlen++] = c;
}

static void puts_(const char *s) {
  while (*s) putch(*s++);
}

static void putu(u64 v, u32 base, int width) {
  char t[24];
  int n = 0;
  do {
    u32 d = (u32)(v % base);
    t[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v);
  while (n < width) t[n++] = '0';
  while (n) putch(t[--n]);
}

/* Internal: SHA-256 (FIPS 180-4), for the scenario hash in every output file
 * (docs/output-format.md, provenance).  Not for security: it identifies the
 * scenario text a file or shard was made from. */
#ifndef PAINSIM_SHA256_H
#define PAINSIM_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct psim_sha256 {
    uint32_t h[8];
    uint64_t bytes;
    unsigned char buf[64];
    size_t n;
} psim_sha256;

void psim_sha256_init(psim_sha256 *c);
void psim_sha256_update(psim_sha256 *c, const void *data, size_t len);
void psim_sha256_final(psim_sha256 *c, unsigned char digest[32]);

/* The digest of data as 64 lowercase hex digits and a NUL. */
void psim_sha256_hex(const void *data, size_t len, char hex[65]);

#endif

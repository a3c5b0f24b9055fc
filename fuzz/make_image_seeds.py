#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
"""Writes the seeds of the image format fuzz targets into
fuzz/seeds/{vhd,vhdx,vmdk}_image_fuzz/ (see fuzz/image_fuzz_common.h for the
input layout). VHDX seeds come from qemu-img/qemu-io (Debian qemu-utils),
encoded sparsely as vhdx_image_fuzz.cc reads them; VHD and VMDK seeds are
built here.

    fuzz/make_image_seeds.py
"""
import os
import struct
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))


def ops(readonly=False, items=()):
    """The operations header: flags, count, then 8-byte operations."""
    out = bytes([1 if readonly else 0, len(items)])
    for kind, offset_sectors, length, fill in items:
        out += struct.pack('<BHHHB', kind, offset_sectors & 0xffff, offset_sectors >> 16,
                           length, fill)
    return out + bytes(2 + 8 * 8 - len(out))


OPS = [
    ops(False, [(0, 0, 4096, 0x11), (2, 0, 8192, 0), (1, 2047, 1024, 0x22), (4, 0, 0, 0),
                (5, 100, 3000, 0), (6, 0, 65535, 0), (0, 4096, 65535, 0x33), (2, 4000, 65535, 0)]),
    ops(True, [(2, 0, 65535, 0), (0, 8, 512, 1), (6, 2048, 4096, 0)]),
]


def save(target, name, data):
    d = os.path.join(ROOT, 'seeds', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def vhd_footer(size, disk_type):
    f = bytearray(512)
    f[0:8] = b'conectix'
    struct.pack_into('>IIQ', f, 8, 2, 0x10000, 0xffffffffffffffff)
    f[28:32] = b'qemu'
    struct.pack_into('>QQ', f, 40, size, size)
    struct.pack_into('>I', f, 56, (4 << 16) | (4 << 8) | 17)
    struct.pack_into('>I', f, 60, disk_type)
    struct.pack_into('>I', f, 64, ~sum(f) & 0xffffffff)
    return bytes(f)


def vhdx_sparse(path):
    """The file as vhdx_image_fuzz.cc reads it: size in 64 KiB units, then
    [u32 offset][u16 length][bytes] for each non-zero 4 KiB run."""
    data = open(path, 'rb').read()
    out = struct.pack('<H', (len(data) + 65535) // 65536 - 1)
    for at in range(0, len(data), 4096):
        chunk = data[at:at + 4096]
        if any(chunk):
            out += struct.pack('<IH', at, len(chunk)) + chunk
    return out


def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xffffffff


def set_crc(buf, at, length):
    struct.pack_into('<I', buf, at + 4, 0)
    struct.pack_into('<I', buf, at + 4, crc32c(bytes(buf[at:at + length])))


def add_log(path):
    """Gives a qemu-img VHDX a log entry (VHDX 1.0 section 2.3) that
    allocates payload block 0 at the end of the file, as a crashed writer
    would leave it."""
    f = bytearray(open(path, 'rb').read())
    guid = bytes(range(1, 17))
    for at in (64 << 10, 128 << 10):
        f[at + 48:at + 64] = guid
        set_crc(f, at, 4096)
    log_length, log_offset = struct.unpack_from('<IQ', f, (64 << 10) + 68)
    bat_offset = None
    count = struct.unpack_from('<I', f, (192 << 10) + 8)[0]
    for i in range(count):
        e = (192 << 10) + 16 + 32 * i
        if f[e:e + 16] == bytes.fromhex('6677c22d23f600429d64115e9bfd4a08'):
            bat_offset = struct.unpack_from('<Q', f, e + 16)[0]
    block = (len(f) + (1 << 20) - 1) >> 20 << 20
    f += bytes(block - len(f)) + b'\x77' * 4096 + bytes((1 << 20) - 4096)
    sector = bytearray(f[bat_offset:bat_offset + 4096])
    struct.pack_into('<Q', sector, 0, block | 6)
    seq = 5
    e = bytearray(8192)
    e[0:4] = b'loge'
    struct.pack_into('<IIQII', e, 8, 8192, 0, seq, 1, 0)
    e[32:48] = guid
    struct.pack_into('<QQ', e, 48, len(f), len(f))
    e[64:68] = b'desc'
    e[68:72] = sector[4092:4096]
    e[72:80] = sector[0:8]
    struct.pack_into('<QQ', e, 80, bat_offset, seq)
    e[4096:4100] = b'data'
    struct.pack_into('<I', e, 4100, seq >> 32)
    e[4104:8188] = sector[8:4092]
    struct.pack_into('<I', e, 8188, seq & 0xffffffff)
    set_crc(e, 0, 8192)
    f[log_offset:log_offset + 8192] = e
    open(path, 'wb').write(f)


def main():
    for i, o in enumerate(OPS):
        save('vhd_image_fuzz', 'fixed-%d' % i, o + bytes([0x5a]) * 4096 + vhd_footer(4096, 2))
    save('vhd_image_fuzz', 'dynamic', OPS[0] + vhd_footer(65536, 3) + bytes(1024) + vhd_footer(65536, 3))

    desc = ('# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n'
            'createType="%s"\n\n# Extent description\n%s\n\n# The Disk Data Base\n#DDB\n'
            'ddb.adapterType = "ide"\n')
    save('vmdk_image_fuzz', 'monolithic', OPS[0] + (desc % ('monolithicFlat', 'RW 128 FLAT "e0" 0')).encode())
    save('vmdk_image_fuzz', 'extents', OPS[0] + (desc % (
        'twoGbMaxExtentFlat',
        'RW 64 FLAT "e0" 0\nRW 32 FLAT "e1" 16\nRDONLY 16 FLAT "e2" 0\nRW 128 VMFS "e3"')).encode())
    save('vmdk_image_fuzz', 'readonly', OPS[1] + (desc % ('vmfs', 'RW 96 VMFS "e1" 32')).encode())

    with tempfile.TemporaryDirectory() as tmp:
        for name, opts, size, writes in [
                ('dynamic-1m', 'subformat=dynamic,block_size=1048576', '8M',
                 ['write -P 0x11 0 4096', 'write -P 0x22 1048064 1024']),
                ('dynamic-8m', 'subformat=dynamic,block_size=8388608', '20M',
                 ['write -P 0x33 9000000 4096']),
                ('empty', 'subformat=dynamic', '4M', [])]:
            p = os.path.join(tmp, name + '.vhdx')
            subprocess.run(['qemu-img', 'create', '-q', '-f', 'vhdx', '-o', opts, p, size], check=True)
            for w in writes:
                subprocess.run(['qemu-io', '-f', 'vhdx', '-c', w, p], check=True,
                               stdout=subprocess.DEVNULL)
            for i, o in enumerate(OPS):
                save('vhdx_image_fuzz', '%s-%d' % (name, i), o + vhdx_sparse(p))
        p = os.path.join(tmp, 'log.vhdx')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'vhdx', '-o', 'block_size=1048576', p, '8M'],
                       check=True)
        add_log(p)
        # QEMU replays the log: block 0 then reads 0x77.
        subprocess.run(['qemu-io', '-f', 'vhdx', '-c', 'read -P 0x77 0 4096', p], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(['qemu-img', 'check', '-f', 'vhdx', p], check=True)
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'vhdx', '-o', 'block_size=1048576', p, '8M'],
                       check=True)
        add_log(p)
        save('vhdx_image_fuzz', 'log-0', OPS[0] + vhdx_sparse(p))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Generate python311.json: what CPython 3.11.7's ipaddress and az's
validate_ip_ranges (core and aks-preview) say about a fixed set of inputs.

The Go tests replay this file (TestPythonGolden) so that the Go port of
ip_network/is_global and of both validators is checked against the real thing
without needing Python in CI. Regenerate with:

    python3 testdata/gen_python311.py > testdata/python311.json

It must run on Python 3.11.7 exactly: is_global changed in 3.11.10/3.12.4.
"""
import json
import random
import sys
from ipaddress import ip_network

assert sys.version_info[:3] == (3, 11, 7), sys.version


class CLIError(Exception):
    pass


def validate_core(value):
    # azure-cli acs/_validators.py validate_ip_ranges (see aks-behaviour.md 1.2)
    if not value:
        return
    restrict_traffic_to_agentnodes = "0.0.0.0/32"
    allow_all_traffic = ""
    ip_ranges = [ip.strip() for ip in value.split(",")]
    if restrict_traffic_to_agentnodes in ip_ranges and len(ip_ranges) > 1:
        raise CLIError(("Setting --api-server-authorized-ip-ranges to 0.0.0.0/32 is not allowed with other IP ranges."
                        "Refer to https://aka.ms/aks/whitelist for more details"))
    if allow_all_traffic in ip_ranges and len(ip_ranges) > 1:
        raise CLIError("--api-server-authorized-ip-ranges cannot be disabled and simultaneously enabled")
    for ip in ip_ranges:
        if ip in [restrict_traffic_to_agentnodes, allow_all_traffic]:
            continue
        try:
            ip = ip_network(ip)
            if not ip.is_global:
                raise CLIError("--api-server-authorized-ip-ranges must be global non-reserved addresses or CIDRs")
            if ip.version == 6:
                raise CLIError("--api-server-authorized-ip-ranges cannot be IPv6 addresses")
        except ValueError:
            raise CLIError("--api-server-authorized-ip-ranges should be a list of IPv4 addresses or CIDRs")


def validate_preview(value):
    # azure-cli-extensions aks-preview _validators.py validate_ip_ranges (1.3)
    if not value:
        return
    restrict_traffic_to_agentnodes = "0.0.0.0/32"
    allow_all_traffic = ""
    ip_ranges = [ip.strip() for ip in value.split(",")]
    if restrict_traffic_to_agentnodes in ip_ranges and len(ip_ranges) > 1:
        raise CLIError(("Setting --api-server-authorized-ip-ranges to 0.0.0.0/32 is not allowed with other IP ranges."
                        "Refer to https://aka.ms/aks/whitelist for more details"))
    if allow_all_traffic in ip_ranges and len(ip_ranges) > 1:
        raise CLIError("--api-server-authorized-ip-ranges cannot be disabled and simultaneously enabled")
    for ip in ip_ranges:
        if ip in [restrict_traffic_to_agentnodes, allow_all_traffic]:
            continue
        try:
            ip = ip_network(ip)
            if not ip.is_global:
                raise CLIError("--api-server-authorized-ip-ranges must be global non-reserved addresses or CIDRs")
            if ip.version == 6:
                raise CLIError("--api-server-authorized-ip-ranges cannot be IPv6 addresses")
        except ValueError:
            pass


def verdict(fn, value):
    try:
        fn(value)
        return ""
    except CLIError as e:
        return str(e)


def network(item):
    try:
        n = ip_network(item)
    except ValueError:
        return None
    # The address as an integer in hex (scope ids dropped) and the length.
    return {"prefix": "%x/%d" % (int(n.network_address), n.prefixlen),
            "global": n.is_global, "version": n.version}


CRAFTED = [
    "", " ", "   ", ",", " , ", "1.2.3.4,", ",1.2.3.4", "0.0.0.0/32", "0.0.0.0/32,1.2.3.4",
    "1.2.3.4,0.0.0.0/32", "0.0.0.0/32,", "0.0.0.0", "0.0.0.0/0", "0.0.0.0/1", "0.0.0.0/8",
    "0.0.0.0/7", "1.2.3.4", " 1.2.3.4 ", "1.2.3.4/32", "1.2.3.4/24", "1.2.3.0/24", "172.0.0.10/16",
    "01.2.3.4", "1.2.3.04", "1.2.3.0/024", "1.2.3.0/0024", "1.2.3.4/33", "1.2.3.4/-1", "1.2.3.4/+32",
    "1.2.3.4/ 32", "1.2.3.4 /32", "1.2.3.4/", "/32", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4/32/32",
    "1.2.3.0/255.255.255.0", "1.2.3.0/0.0.0.255", "1.2.3.0/255.0.255.0", "10.0.0.0/255.0.0.0",
    "1.2.3.4/255.255.255.255", "0.0.0.0/0.0.0.0", "1.2.3.0/255.255.255.00",
    "10.0.0.0/8", "192.168.1.0/24", "100.64.0.0/10", "100.64.0.0/9", "100.64.0.0/11", "100.64.1.1",
    "127.0.0.1", "169.254.1.1", "240.0.0.0/4", "255.255.255.255", "224.0.0.1", "224.0.0.0/4",
    "172.16.0.0/12", "172.16.0.0/11", "192.0.0.0/29", "192.0.0.8/29", "192.0.0.170/31", "192.0.0.171",
    "192.0.0.9", "192.0.2.1", "198.18.0.0/15", "198.51.100.7", "203.0.113.0/24", "203.0.112.0/23",
    "20.20.20.20", "AzureCloud", "AzureCloud,20.20.20.20", "azurecloud.eastus", "AzureCloud ,  1.2.3.4",
    "2001:4860::/32", "::/0", "fd00::/8", "fe80::/10", "fe80::1%eth0", "fe80::%eth0/64",
    "2001:4860::%1/32", "2001:4860::%/32", "2001:4860::%a%b/32", "::1", "::", "::ffff:1.2.3.4",
    "::ffff:0:0/96", "::ffff:1.2.3.4/128", "::1.2.3.4", "2001:db8::/32", "2001::/23", "2001:2::/48",
    "2001:10::/28", "2002::/16", "100::/64", "100::/63", "fc00::/7", "ff02::1", "2000::/3",
    "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "1::2::3", ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
    "::01.2.3.4", "::1.2.3", "00001::", "0001::", "g::", "2001:4860::/0129", "2001:4860::/128",
    "2001:4860::/255.255.0.0", "2001:4860::1/32", "::/-0", ":::", "::%x", "1.2.3.4%x",
    "\u00a01.2.3.4\u00a0", "\x1c1.2.3.4\x1f", "\u20281.2.3.4", "\u200b1.2.3.4", "\ufeff1.2.3.4",
    "1.2.3.4\x85", "\u0661.2.3.4", "１.2.3.4", "1.2.3.4,5.6.7.8", "1.2.3.4,10.0.0.0/8",
    "1.2.3.4,AzureCloud,2001:4860::/32", "10.0.0.0/8,AzureCloud", "AzureCloud,10.0.0.0/8",
    "0.0.0.0/32 ,", "0.0.0.0/32, 0.0.0.0/32", " 0.0.0.0/32 ", "1.1.1.1/31", "8.0.0.0/5",
    "0.0.0.0/5", "1.2.3.4/0", "198.18.0.0/16", "192.0.0.0/24", "255.255.255.255/32", "248.0.0.0/5",
    "1.2.3.4,,5.6.7.8", "\t", "\n1.2.3.4\r", "1.2.3.4\x0b", "1.2.3.4\x00",
]


def random_items(rng, n):
    specials = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                "172.16.0.0/12", "192.0.0.0/29", "192.0.0.170/31", "192.0.2.0/24", "192.168.0.0/16",
                "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"]
    out = []
    for _ in range(n):
        k = rng.randrange(6)
        if k == 0:  # random v4 prefix, masked
            bits = rng.randrange(33)
            a = rng.getrandbits(32) & (((1 << bits) - 1) << (32 - bits))
            out.append("%s/%d" % (".".join(str((a >> s) & 255) for s in (24, 16, 8, 0)), bits))
        elif k == 1:  # around a special block
            base = ip_network(rng.choice(specials))
            bits = max(0, base.prefixlen + rng.randrange(-3, 6))
            bits = min(bits, 32)
            a = int(base.network_address) | rng.getrandbits(32 - base.prefixlen) if base.prefixlen < 32 else int(base.network_address)
            a &= ((1 << bits) - 1) << (32 - bits)
            out.append("%s/%d" % (".".join(str((a >> s) & 255) for s in (24, 16, 8, 0)), bits))
        elif k == 2:  # random v6 prefix
            bits = rng.choice([0, 1, 2, 3, 4, 7, 8, 10, 16, 23, 28, 32, 48, 64, 96, 120, 128])
            hi = rng.choice([0x2001, 0x2002, 0xfd00, 0xfe80, 0x0000, 0x0100, 0x2a01, 0xff02, 0x2001])
            a = (hi << 112) | (rng.getrandbits(16) << 96 if rng.random() < 0.3 else 0) | rng.getrandbits(64)
            a &= ((1 << 128) - 1) ^ ((1 << (128 - bits)) - 1)
            from ipaddress import IPv6Address
            out.append("%s/%d" % (IPv6Address(a).compressed, bits))
        else:  # character soup
            alphabet = "0123456789.:/%abcdefxAZ ,"
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 14))))
    return out


def main():
    rng = random.Random(20240423)
    inputs = CRAFTED + random_items(rng, 3000)
    # some multi-item lists built from the items
    for _ in range(300):
        inputs.append(",".join(rng.choice(inputs[:200]) for _ in range(rng.randrange(2, 4))))
    seen, rows = set(), []
    for s in inputs:
        if s in seen:
            continue
        seen.add(s)
        row = {"in": s, "cli": verdict(validate_core, s), "preview": verdict(validate_preview, s)}
        if "," not in s:
            row["net"] = network(s.strip())
        rows.append(row)
    json.dump(rows, sys.stdout, indent=0, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

/**
 * Limits the kernel puts on the values tunadm accepts. They live in model/ (not kernel/) because
 * validation is pure and must not depend on the code that talks to the kernel.
 */

/** Interface names: 15 bytes plus the NUL (include/uapi/linux/if.h). */
export const IFNAMSIZ = 16
/** The interface alias (IFLA_IFALIAS): 255 bytes plus the NUL. */
export const IFALIASZ = 256
/** (uid_t)-1 / (gid_t)-1: the tun driver's "no owner" / "no group". */
export const ID_UNSET = 0xffffffff
/** MTU: 68 is the IPv4 minimum; TUN/TAP allow up to 65535. */
export const MTU_MIN = 68
export const MTU_MAX = 65535
/** The tun driver's maximum: 65535 less the link-layer header, 14 bytes of Ethernet on TAP. */
export const mtuMax = (mode: 'tun' | 'tap'): number => (mode === 'tap' ? MTU_MAX - 14 : MTU_MAX)
/** Below this MTU the kernel turns IPv6 off on the device and drops its IPv6 addresses. */
export const IPV6_MIN_MTU = 1280
/**
 * txqueuelen is u32 in netlink, but a TUN/TAP queue is a ring of that many pointers, allocated when a
 * program attaches and resized on every attached queue when it changes: at most KMALLOC_MAX_SIZE (4 MiB
 * with 4 KiB pages) / 8 entries. Above it, every attach fails with ENOMEM and a change while attached
 * with EPERM (the driver's notifier says NOTIFY_BAD), so tunadm refuses it.
 */
export const TXQUEUELEN_MAX = 524288
export const TXQUEUELEN_ABOUT = `a packet count; above ${TXQUEUELEN_MAX} the kernel cannot allocate a TUN/TAP queue of that many packets (4 MiB of pointers), so no program could attach (the kernel default is 1000 for TAP, 500 for TUN)`
/** Route metrics are u32 in netlink. */
export const U32_MAX = 0xffffffff
/** Link groups (IFLA_GROUP) are u32; 0 is the kernel's default group every device starts in. */
export const LINK_GROUP_DEFAULT = 0
/** The metric the kernel gives a route added without one: 0 for IPv4, 1024 for IPv6 (IP6_RT_PRIO_USER). */
export const defaultMetric = (family: 4 | 6): number => (family === 4 ? 0 : 1024)
/**
 * The metric a route has in the kernel once added: the default when none is given, and for IPv6 also
 * when 0 is given (the kernel turns an IPv6 metric of 0 into 1024). Part of a route's identity.
 */
export const routeMetric = (family: 4 | 6, metric: number | undefined): number => (family === 6 ? metric || 1024 : metric ?? 0)

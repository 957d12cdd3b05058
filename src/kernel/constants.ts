// Kernel ABI numbers for x86_64/aarch64 Linux (include/uapi/linux/if_tun.h, sockios.h, if.h,
// netlink.h, rtnetlink.h, if_link.h). Named once here; everything else refers to these names.

export {IFNAMSIZ, ID_UNSET} from '../model/limits'
export const IFREQ_SIZE = 40

export const O_RDWR = 0o2
export const O_RDONLY = 0
/** Opening a FIFO (or a device) never blocks: a planted FIFO in /run/netns must not hang us. */
export const O_NONBLOCK = 0o4000
export const O_CLOEXEC = 0o2000000
export const CLONE_NEWNET = 0x40000000

export const TUNSETIFF = 0x400454ca
export const TUNSETPERSIST = 0x400454cb
export const TUNSETOWNER = 0x400454cc
export const TUNSETGROUP = 0x400454ce
export const TUNGETFEATURES = 0x800454cf
export const TUNGETIFF = 0x800454d2
export const TUNSETCARRIER = 0x400454e2
/** _IO('T', 227): a new fd of the network namespace the device attached to this fd lives in (kernel 5.2+). */
export const TUNGETDEVNETNS = 0x54e3

export const IFF_TUN = 0x1
export const IFF_TAP = 0x2
export const IFF_NAPI = 0x10
export const IFF_NAPI_FRAGS = 0x20
export const IFF_NO_CARRIER = 0x40
export const IFF_MULTI_QUEUE = 0x100
export const IFF_ATTACH_QUEUE = 0x200
export const IFF_DETACH_QUEUE = 0x400
export const IFF_PERSIST = 0x800
export const IFF_NO_PI = 0x1000
export const IFF_ONE_QUEUE = 0x2000
export const IFF_VNET_HDR = 0x4000
export const IFF_TUN_EXCL = 0x8000

/** TUNGETFEATURES bits and their names, for doctor and show. */
export const TUN_FEATURE_NAMES: ReadonlyArray<[number, string]> = [
  [IFF_TUN, 'tun'], [IFF_TAP, 'tap'], [IFF_NAPI, 'napi'], [IFF_NAPI_FRAGS, 'napi_frags'],
  [IFF_NO_CARRIER, 'no_carrier'], [IFF_MULTI_QUEUE, 'multi_queue'], [IFF_ATTACH_QUEUE, 'attach_queue'],
  [IFF_DETACH_QUEUE, 'detach_queue'], [IFF_NO_PI, 'no_pi'], [IFF_ONE_QUEUE, 'one_queue'],
  [IFF_VNET_HDR, 'vnet_hdr'], [IFF_TUN_EXCL, 'tun_excl'],
]

// SIOC ioctls on an AF_INET datagram socket
export const SIOCGIFFLAGS = 0x8913
export const SIOCSIFFLAGS = 0x8914
export const SIOCGIFMTU = 0x8921
export const SIOCSIFMTU = 0x8922
export const SIOCSIFNAME = 0x8923
export const SIOCSIFHWADDR = 0x8924
export const SIOCGIFHWADDR = 0x8927
export const SIOCGIFINDEX = 0x8933
export const SIOCGIFTXQLEN = 0x8942
export const SIOCSIFTXQLEN = 0x8943

// Interface (net_device) flags
export const IFF_UP = 0x1
export const IFF_BROADCAST = 0x2
export const IFF_LOOPBACK = 0x8
export const IFF_POINTOPOINT = 0x10
export const IFF_RUNNING = 0x40
export const IFF_NOARP = 0x80
export const IFF_PROMISC = 0x100
export const IFF_ALLMULTI = 0x200
export const IFF_MULTICAST = 0x1000
export const IFF_LOWER_UP = 0x10000

export const IF_FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [IFF_UP, 'up'], [IFF_BROADCAST, 'broadcast'], [IFF_LOOPBACK, 'loopback'], [IFF_POINTOPOINT, 'pointopoint'],
  [IFF_RUNNING, 'running'], [IFF_NOARP, 'noarp'], [IFF_PROMISC, 'promisc'], [IFF_ALLMULTI, 'allmulti'],
  [IFF_MULTICAST, 'multicast'], [IFF_LOWER_UP, 'lower_up'],
]

export const AF_UNSPEC = 0
export const AF_INET = 2
export const AF_INET6 = 10
export const AF_NETLINK = 16
export const AF_PACKET = 17
export const SOCK_DGRAM = 2
export const SOCK_RAW = 3
export const SOCK_CLOEXEC = 0o2000000
export const NETLINK_ROUTE = 0
export const ARPHRD_ETHER = 1
export const ARPHRD_NONE = 0xfffe

// netlink message header
export const NLMSG_HDRLEN = 16
export const NLMSG_NOOP = 1
export const NLMSG_ERROR = 2
export const NLMSG_DONE = 3
export const NLM_F_REQUEST = 0x1
export const NLM_F_MULTI = 0x2
export const NLM_F_ACK = 0x4
export const NLM_F_DUMP = 0x300
/** On a dump message: the data changed during the dump; it must be repeated. */
export const NLM_F_DUMP_INTR = 0x10
/** On NLMSG_ERROR: the original request is cut to its header; extended-ACK attributes follow. */
export const NLM_F_CAPPED = 0x100
export const NLM_F_ACK_TLVS = 0x200
export const SOL_NETLINK = 270
export const SOL_SOCKET = 1
/** A number the kernel gives each network namespace, never reused until reboot (since 5.14). */
export const SO_NETNS_COOKIE = 71
export const NETLINK_CAP_ACK = 10
export const NETLINK_EXT_ACK = 11
export const NLMSGERR_ATTR_MSG = 1
export const MSG_TRUNC = 0x20
export const MSG_PEEK = 0x2
export const MSG_DONTWAIT = 0x40
/** Netlink multicast group of link announcements (bind's nl_groups bit for RTNLGRP_LINK). */
export const RTMGRP_LINK = 1
export const SO_RCVBUFFORCE = 33
export const SO_ATTACH_FILTER = 26
export const SO_DETACH_FILTER = 27
export const NLM_F_REPLACE = 0x100
export const NLM_F_EXCL = 0x200
export const NLM_F_CREATE = 0x400
export const NLA_F_NESTED = 0x8000
export const NLA_TYPE_MASK = 0x3fff

export const RTM_NEWLINK = 16
export const RTM_DELLINK = 17
export const RTM_GETLINK = 18
export const RTM_SETLINK = 19
export const RTM_NEWADDR = 20
export const RTM_DELADDR = 21
export const RTM_GETADDR = 22
export const RTM_NEWROUTE = 24
export const RTM_DELROUTE = 25
export const RTM_GETROUTE = 26

// struct ifinfomsg = 16 bytes; struct ifaddrmsg = 8 bytes; struct rtmsg = 12 bytes
export const IFINFOMSG_LEN = 16
export const IFADDRMSG_LEN = 8
export const RTMSG_LEN = 12

// IFLA_* link attributes
export const IFLA_ADDRESS = 1
export const IFLA_BROADCAST = 2
export const IFLA_IFNAME = 3
export const IFLA_MTU = 4
export const IFLA_LINK = 5
export const IFLA_MASTER = 10
export const IFLA_TXQLEN = 13
export const IFLA_OPERSTATE = 16
export const IFLA_LINKINFO = 18
export const IFLA_IFALIAS = 20
export const IFLA_GROUP = 27
/** IFLA_EXT_MASK: what a link dump may leave out; RTEXT_FILTER_SKIP_STATS drops the counters. */
export const IFLA_EXT_MASK = 29
export const RTEXT_FILTER_SKIP_STATS = 1 << 3
export const IFLA_PROMISCUITY = 30
export const IFLA_NUM_TX_QUEUES = 31
export const IFLA_CARRIER = 33
export const IFLA_MIN_MTU = 50
export const IFLA_MAX_MTU = 51
export const IFLA_INFO_KIND = 1
export const IFLA_INFO_DATA = 2
/** A port's side of its master (bridge, bond, vrf): IFLA_INFO_SLAVE_KIND names the master's kind. */
export const IFLA_INFO_SLAVE_KIND = 4
export const IFLA_INFO_SLAVE_DATA = 5
/** In a bridge port's IFLA_INFO_SLAVE_DATA: its STP state, u8 (BR_STATE_*). */
export const IFLA_BRPORT_STATE = 1
/** BR_STATE_DISABLED .. BR_STATE_BLOCKING, by value. */
export const BRPORT_STATES = ['disabled', 'listening', 'learning', 'forwarding', 'blocking'] as const
export const IFLA_TUN_OWNER = 1
export const IFLA_TUN_GROUP = 2
export const IFLA_TUN_TYPE = 3
export const IFLA_TUN_PI = 4
export const IFLA_TUN_VNET_HDR = 5
export const IFLA_TUN_PERSIST = 6
export const IFLA_TUN_MULTI_QUEUE = 7
export const IFLA_TUN_NUM_QUEUES = 8
export const IFLA_TUN_NUM_DISABLED_QUEUES = 9

export const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const

// IFA_* address attributes
export const IFA_ADDRESS = 1
export const IFA_LOCAL = 2
export const IFA_LABEL = 3
export const IFA_BROADCAST = 4
export const IFA_FLAGS = 8
export const IFA_F_PERMANENT = 0x80

// RTA_* route attributes and rtmsg values
export const RTA_DST = 1
export const RTA_OIF = 4
export const RTA_GATEWAY = 5
export const RTA_PRIORITY = 6
export const RTA_PREFSRC = 7
export const RTA_TABLE = 15
export const RT_TABLE_MAIN = 254
export const RTPROT_BOOT = 3
export const RTPROT_STATIC = 4
export const RTPROT_KERNEL = 2
export const RT_SCOPE_UNIVERSE = 0
export const RT_SCOPE_LINK = 253
export const RT_SCOPE_HOST = 254
export const RTN_UNICAST = 1
export const RTNH_F_DEAD = 0x1
export const RTNH_F_LINKDOWN = 0x10

/** The kernel's "unset" value for a tun owner or group ((uid_t)-1). */

/** SIOC* ioctls on an AF_INET datagram socket: interface flags, MAC, MTU, txqueuelen, rename. */
import * as C from './constants'
import {closeFd, ioctlBuffer, openSocket} from './libc'
import {ifreq, ifreqHwaddr, ifreqInt, ifreqShort, ifreqWithHwaddr, ifreqWithInt, ifreqWithNewName, ifreqWithShort} from './ifreq'

export class NetdevSocket {
  private fd: number

  constructor() {
    this.fd = openSocket(C.AF_INET, C.SOCK_DGRAM | C.SOCK_CLOEXEC, 0, 'socket(AF_INET)')
  }

  close(): void {
    if (this.fd >= 0) closeFd(this.fd)
    this.fd = -1
  }

  getFlags(name: string): number {
    const req = ifreq(name)
    ioctlBuffer(this.fd, C.SIOCGIFFLAGS, req, 'SIOCGIFFLAGS', name)
    return ifreqShort(req)
  }

  setFlags(name: string, flags: number): void {
    ioctlBuffer(this.fd, C.SIOCSIFFLAGS, ifreqWithShort(name, flags), 'SIOCSIFFLAGS', name)
  }

  getIndex(name: string): number {
    const req = ifreq(name)
    ioctlBuffer(this.fd, C.SIOCGIFINDEX, req, 'SIOCGIFINDEX', name)
    return ifreqInt(req)
  }

  getMtu(name: string): number {
    const req = ifreq(name)
    ioctlBuffer(this.fd, C.SIOCGIFMTU, req, 'SIOCGIFMTU', name)
    return ifreqInt(req)
  }

  setMtu(name: string, mtu: number): void {
    ioctlBuffer(this.fd, C.SIOCSIFMTU, ifreqWithInt(name, mtu), 'SIOCSIFMTU', name)
  }

  getTxqlen(name: string): number {
    const req = ifreq(name)
    ioctlBuffer(this.fd, C.SIOCGIFTXQLEN, req, 'SIOCGIFTXQLEN', name)
    return ifreqInt(req)
  }

  setTxqlen(name: string, qlen: number): void {
    ioctlBuffer(this.fd, C.SIOCSIFTXQLEN, ifreqWithInt(name, qlen), 'SIOCSIFTXQLEN', name)
  }

  getHwaddr(name: string): Buffer {
    const req = ifreq(name)
    ioctlBuffer(this.fd, C.SIOCGIFHWADDR, req, 'SIOCGIFHWADDR', name)
    return ifreqHwaddr(req).mac
  }

  setHwaddr(name: string, mac: Uint8Array): void {
    ioctlBuffer(this.fd, C.SIOCSIFHWADDR, ifreqWithHwaddr(name, C.ARPHRD_ETHER, mac), 'SIOCSIFHWADDR', name)
  }

  rename(name: string, newName: string): void {
    ioctlBuffer(this.fd, C.SIOCSIFNAME, ifreqWithNewName(name, newName), 'SIOCSIFNAME', name)
  }
}

export function withNetdev<T>(fn: (s: NetdevSocket) => T): T {
  const s = new NetdevSocket()
  try {
    return fn(s)
  } finally {
    s.close()
  }
}

/**
 * PCI configuration-space register offsets and bits, named as in the PCI Local Bus Specification
 * 3.0 (§6.1 "Configuration Space Organization", §6.2 "Configuration Space Functions", §6.7
 * "Capabilities List") and §3.2.2.3.2 for configuration mechanism #1.
 *
 * @packageDocumentation
 */

/** Vendor ID (16 bits, read-only). §6.2.1 */
export const PCI_VENDOR_ID = 0x00;
/** Device ID (16 bits, read-only). §6.2.1 */
export const PCI_DEVICE_ID = 0x02;
/** Command register (16 bits). §6.2.2 */
export const PCI_COMMAND = 0x04;
/** Status register (16 bits; error bits are write-one-to-clear). §6.2.3 */
export const PCI_STATUS = 0x06;
/** Revision ID (8 bits, read-only). §6.2.1 */
export const PCI_REVISION_ID = 0x08;
/** Programming interface, the low byte of the class code (read-only). §6.2.1 */
export const PCI_CLASS_PROG = 0x09;
/** Sub-class and base class (16 bits, read-only). §6.2.1 */
export const PCI_CLASS_DEVICE = 0x0a;
/** Cache line size (8 bits, read/write). §6.2.4 */
export const PCI_CACHE_LINE_SIZE = 0x0c;
/** Latency timer (8 bits, read/write). §6.2.4 */
export const PCI_LATENCY_TIMER = 0x0d;
/** Header type (bits 6:0 layout, bit 7 multi-function). §6.2.1 */
export const PCI_HEADER_TYPE = 0x0e;
/** Built-in self test (8 bits; 0: not supported). §6.2.4 */
export const PCI_BIST = 0x0f;
/** Base address register 0; BARs 1–5 follow every 4 bytes. §6.2.5.1 */
export const PCI_BASE_ADDRESS_0 = 0x10;
/** CardBus CIS pointer (read-only 0). §6.2.4 */
export const PCI_CARDBUS_CIS = 0x28;
/** Subsystem vendor ID (read-only). §6.2.4 */
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
/** Subsystem ID (read-only). §6.2.4 */
export const PCI_SUBSYSTEM_ID = 0x2e;
/** Expansion ROM base address (not implemented: reads 0, so sizing finds no ROM). §6.2.5.2 */
export const PCI_ROM_ADDRESS = 0x30;
/** Capabilities pointer (read-only; valid when the status register's bit 4 is set). §6.7 */
export const PCI_CAPABILITY_LIST = 0x34;
/** Interrupt line (8 bits, read/write: the IRQ firmware routed INTx# to). §6.2.4 */
export const PCI_INTERRUPT_LINE = 0x3c;
/** Interrupt pin (read-only: 0 none, 1–4 INTA#–INTD#). §6.2.4 */
export const PCI_INTERRUPT_PIN = 0x3d;
/** Minimum grant (read-only). §6.2.4 */
export const PCI_MIN_GNT = 0x3e;
/** Maximum latency (read-only). §6.2.4 */
export const PCI_MAX_LAT = 0x3f;
/** Size of the type-0 header; device-specific registers and capabilities follow. */
export const PCI_HEADER_SIZE = 0x40;
/** Size of a function's configuration space through mechanism #1. */
export const PCI_CONFIG_SPACE_SIZE = 0x100;

/** Command: respond to I/O space accesses. §6.2.2 */
export const PCI_COMMAND_IO = 0x0001;
/** Command: respond to memory space accesses. §6.2.2 */
export const PCI_COMMAND_MEMORY = 0x0002;
/** Command: the function may act as bus master (DMA). §6.2.2 */
export const PCI_COMMAND_MASTER = 0x0004;
/** Command: parity error response. §6.2.2 */
export const PCI_COMMAND_PARITY = 0x0040;
/** Command: SERR# enable. §6.2.2 */
export const PCI_COMMAND_SERR = 0x0100;
/** Command: INTx# emulation disable (PCI 2.3). §6.2.2 */
export const PCI_COMMAND_INTX_DISABLE = 0x0400;
/** The command bits an ordinary function implements. */
export const PCI_COMMAND_WRITABLE = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE;

/** Status: the function's INTx# is asserted (PCI 2.3, read-only). §6.2.3 */
export const PCI_STATUS_INTERRUPT = 0x0008;
/** Status: the capabilities list at 0x34 is valid (read-only). §6.2.3 */
export const PCI_STATUS_CAP_LIST = 0x0010;
/** Status: fast back-to-back capable. §6.2.3 */
export const PCI_STATUS_FAST_BACK = 0x0080;
/** Status: DEVSEL# timing medium. §6.2.3 */
export const PCI_STATUS_DEVSEL_MEDIUM = 0x0200;
/**
 * Status bits that are write-one-to-clear: master data parity error (8), signalled target abort
 * (11), received target abort (12), received master abort (13), signalled system error (14),
 * detected parity error (15). §6.2.3
 */
export const PCI_STATUS_W1C = 0xf900;

/** BAR bit 0: I/O space indicator. §6.2.5.1 */
export const PCI_BASE_ADDRESS_SPACE_IO = 0x01;
/** Memory BAR bit 3: prefetchable. §6.2.5.1 */
export const PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;
/** Address bits of an I/O BAR. §6.2.5.1 */
export const PCI_BASE_ADDRESS_IO_MASK = 0xffff_fffc;
/** Address bits of a memory BAR. §6.2.5.1 */
export const PCI_BASE_ADDRESS_MEM_MASK = 0xffff_fff0;

/** Header type bit 7: the device has more than one function. §6.2.1 */
export const PCI_HEADER_TYPE_MULTI_FUNCTION = 0x80;

/** Mechanism #1 CONFIG_ADDRESS register port (dword accesses only). §3.2.2.3.2 */
export const PCI_CONFIG_ADDRESS_PORT = 0xcf8;
/** Mechanism #1 CONFIG_DATA register ports 0xCFC–0xCFF (any width). §3.2.2.3.2 */
export const PCI_CONFIG_DATA_PORT = 0xcfc;
/** CONFIG_ADDRESS bit 31: configuration cycles enabled. */
export const PCI_CONFIG_ENABLE = 0x8000_0000;
/**
 * CONFIG_ADDRESS bits that hold state: enable (31), bus (23:16), device (15:11), function (10:8)
 * and dword register (7:2). Bits 30:24 and 1:0 are reserved and read as zero on the i440FX.
 */
export const PCI_CONFIG_ADDRESS_MASK = 0x80ff_fffc;

/** Number of device numbers (slots) on a bus. */
export const PCI_SLOT_COUNT = 32;
/** Number of functions per device. */
export const PCI_FUNCTION_COUNT = 8;

export { GuestImageError, type GuestImageErrorCode } from './guest-error.js';
export { Crc64 } from './crc64.js';
export { ArFormatError, readArArchive, type ArMember } from './ar-archive.js';
export {
  TarFormatError,
  normalizeTarPath,
  readTar,
  type ReadTarOptions,
  type TarEntry,
  type TarEntryHeader,
  type TarEntryType,
} from './tar-archive.js';
export { LzmaDataError } from './lzma-decoder.js';
export { XzDecoder, XzFormatError, xzDecompress, xzDecompressStream, type XzDecoderOptions } from './xz-decoder.js';
export {
  CpioFileType,
  CpioFormatError,
  CpioNewcWriter,
  cpioFileType,
  parseCpioNewc,
  type CpioEntry,
  type CpioEntryOptions,
} from './cpio-newc.js';
export {
  compareDebianVersions,
  parseDebianVersion,
  satisfiesRelation,
  type DebianRelation,
  type DebianVersion,
} from './debian-version.js';
export {
  controlField,
  parseControlStanzas,
  parseRelationField,
  type ControlStanza,
  type DebianDependency,
} from './debian-control.js';
export {
  DEFAULT_DEBIAN_MIRROR,
  DEFAULT_DEBIAN_SECURITY_MIRROR,
  DebianArchive,
  type ResolvedKernel,
  DebianArchiveError,
  defaultDebianSources,
  indexPackages,
  type DebianArchiveOptions,
  type DebianPackage,
  type DebianSuiteSource,
  type DownloadProgress,
} from './debian-archive.js';
export { extractDebFiles, readDebArchive, type DebFile, type DebMemberKind } from './deb-package.js';
export {
  DEFAULT_BUSYBOX_APPLETS,
  buildBusyboxInitramfs,
  initramfsInitScript,
  initramfsInittab,
  type BusyboxInitramfsOptions,
} from './busybox-initramfs.js';
export { writeFileAtomic } from './atomic-file.js';
export {
  DEFAULT_GUEST_NAME,
  buildDefaultGuest,
  defaultGuestCacheDir,
  type BuildDefaultGuestOptions,
  type DefaultGuest,
  type GuestBuildProgress,
} from './guest-builder.js';

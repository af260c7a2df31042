/**
 * `@popek/cli`: the `popek` command line. For now it exposes the guest-image builder behind
 * `popek guest fetch`: Debian archive client, `.deb`/ar/tar/xz readers, a newc cpio writer and
 * the default guest builder.
 *
 * @packageDocumentation
 */
export * from './guest/index.js';

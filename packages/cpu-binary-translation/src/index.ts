/**
 * `@popek/cpu-binary-translation`: binary translation.
 *
 * @packageDocumentation
 */
export {};

/**
 * `@popek/cpu-trap-emulate`: classic trap-and-emulate.
 *
 * @packageDocumentation
 */
export {};

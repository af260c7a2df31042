import type { ServiceIdentifier } from 'inversify';

/**
 * A typed service identifier: a global `Symbol` whose type parameter names what the container
 * returns for it.
 *
 * Inversify types a bare `symbol` identifier as `unknown`; a `ServiceId<T>` is typed as an
 * abstract constructor of `T` so that `container.get(id)`, `bind(id).to(...)` and
 * `@inject(id)` all infer `T`. At run time it is only the symbol.
 */
export type ServiceId<T> = ServiceIdentifier<T> & (abstract new (...args: never[]) => T);

/**
 * Creates (or finds) the service identifier for `key`.
 *
 * Keys follow `'@popek/<package>:<Name>'`; they are global (`Symbol.for`), so two copies of a
 * package still agree on the identifier.
 *
 * @example
 * ```ts
 * export interface Clock { nowNs(): number }
 * export const Clock = serviceId<Clock>('@popek/core:Clock');
 * ```
 */
export function serviceId<T>(key: string): ServiceId<T> {
  return Symbol.for(key) as unknown as ServiceId<T>;
}

/** The key a {@link ServiceId} was created from, for messages. */
export function serviceIdName(id: ServiceIdentifier<unknown>): string {
  if (typeof id === 'symbol') return id.description ?? id.toString();
  if (typeof id === 'function') return id.name;
  return String(id);
}

/**
 * An example third-party device plugin for Popek, written against the published API only.
 *
 * @packageDocumentation
 */
export { DEBUG_PORT, DEBUG_PORT_ID, DebugPort } from './debug-port.js';
export { debugPortModule } from './debug-port-module.js';
export { plugin } from './plugin.js';
export { withDebugPort } from './profile.js';

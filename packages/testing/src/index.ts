/**
 * `@popek/testing`: what Popek's own packages and third-party plugins test with — a test machine
 * (a scripted processor and a simple bus) and the conformance suite every device runs.
 *
 * @packageDocumentation
 */
export { ScriptedProcessor, type ScriptStep } from './scripted-processor.js';
export { ScriptedConsole, type ConsoleStep } from './scripted-console.js';
export { TestBus } from './test-bus.js';
export { buildTestMachine, scriptedCpuPlugin, testBusPlugin, type TestMachine } from './test-machine.js';
export {
  attachForTest,
  createDeviceTestContext,
  describeDeviceConformance,
  seededRandom,
  deviceConformanceChecks,
  type ConformanceChecks,
  type ConformanceOptions,
  type RecordingPowerControl,
  type TestAttachment,
  type TestWindow,
  type DeviceTestContext,
} from './device-conformance.js';

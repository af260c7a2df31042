import { describeDeviceConformance } from '@popek/testing';
import { Uart16550, type SerialTiming } from './uart16550.js';

const TIMINGS: readonly SerialTiming[] = ['realistic', 'fast'];

// COM1 as a PC has it, with the default (null) character backend: the suite drives only the guest side.
for (const timing of TIMINGS) {
  describeDeviceConformance(
    `Uart16550 (${timing} timing)`,
    (ctx) => new Uart16550({ id: 'com1', base: 0x3f8, irq: 4, timing }, ctx.clock, ctx.metrics),
  );
}

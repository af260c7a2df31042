import { describeDeviceConformance } from '@popek/testing';
import { FakeA20Gate } from '../test/harness.js';
import { I8042Controller } from './i8042-controller.js';

describeDeviceConformance('I8042Controller', (ctx) => new I8042Controller(ctx.power, new FakeA20Gate(), ctx.metrics, ctx.events));

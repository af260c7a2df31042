import { describeDeviceConformance } from '@popek/testing';
import { FakeA20Gate } from '../test/harness.js';
import { SystemControlPortA } from './system-control-port-a.js';

describeDeviceConformance('SystemControlPortA', (ctx) => new SystemControlPortA(ctx.power, new FakeA20Gate()));

import { describeDeviceConformance } from '@popek/testing';
import { ResetControlRegister } from './reset-control-register.js';

describeDeviceConformance('ResetControlRegister', (ctx) => new ResetControlRegister(ctx.power));

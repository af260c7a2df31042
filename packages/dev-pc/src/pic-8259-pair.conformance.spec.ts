import { describeDeviceConformance } from '@popek/testing';
import { Pic8259Pair } from './pic-8259-pair.js';

describeDeviceConformance('Pic8259Pair', (ctx) => new Pic8259Pair(ctx.metrics));

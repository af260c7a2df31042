export {};
//# sourceMappingURL=cpu-mmu.js.map
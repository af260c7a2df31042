export {};
//# sourceMappingURL=x87-seam.js.map
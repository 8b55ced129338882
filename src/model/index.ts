export * from './address-class.ts';
export * from './ip.ts';
export * from './origin.ts';
export * from './regions.ts';
export * from './vendor.ts';
export * from './wildcard.ts';

// Placeholder until the command line lands (issue 2, section 1).
console.log('origin-region-sync');

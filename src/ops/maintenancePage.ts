/** The page every request gets while the site is in maintenance, unless `maintenance on --page FILE`. */
export const DEFAULT_MAINTENANCE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Down for maintenance</title></head>
<body><h1>Down for maintenance</h1><p>We will be back shortly.</p></body></html>`;

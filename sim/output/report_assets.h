/* Internal: the report page's script and style (sim/output/report_html.js,
 * report_html.css), compiled in by cmake/embed.cmake; the arrays end with a
 * NUL that the lengths do not count. */
#ifndef PAINSIM_REPORT_ASSETS_H
#define PAINSIM_REPORT_ASSETS_H

#include <stddef.h>

extern const unsigned char psim_report_asset_js[];
extern const size_t psim_report_asset_js_len;
extern const unsigned char psim_report_asset_css[];
extern const size_t psim_report_asset_css_len;

#endif

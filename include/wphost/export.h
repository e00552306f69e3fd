/* libwphost — symbol export macro.
 *
 * The library is compiled with hidden visibility and a linker version script;
 * only functions marked WPH_API (all named wph_*) are exported. */
#ifndef WPHOST_EXPORT_H
#define WPHOST_EXPORT_H

#if defined(WPH_STATIC)
#  define WPH_API
#elif defined(_WIN32)
#  if defined(WPH_BUILDING_LIBRARY)
#    define WPH_API __declspec(dllexport)
#  else
#    define WPH_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define WPH_API __attribute__((visibility("default")))
#else
#  define WPH_API
#endif

#endif /* WPHOST_EXPORT_H */

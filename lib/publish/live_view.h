// The live view twin-publish serves at GET / (lib/live_view.html, embedded
// at build time): one self-contained page that reads /api/state, follows
// /api/stream and draws the city on a canvas.
#ifndef TWIN_LIB_LIVE_VIEW_H_
#define TWIN_LIB_LIVE_VIEW_H_

#include <string_view>

namespace twin {

extern const std::string_view kLiveViewHtml;

}  // namespace twin

#endif  // TWIN_LIB_LIVE_VIEW_H_

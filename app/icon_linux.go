//go:build linux && desktop

package app

/*
#cgo pkg-config: gtk+-3.0
#include <gtk/gtk.h>

// setIcons gives every toplevel window, and the windows made later, the
// icon in buf (a PNG). Wails sets it on its window before the window is
// realized, where GTK drops it: no _NET_WM_ICON.
static gboolean setIcons(gpointer data) {
	GBytes *bytes = (GBytes *)data;
	gsize len;
	const guchar *buf = g_bytes_get_data(bytes, &len);
	GdkPixbufLoader *loader = gdk_pixbuf_loader_new();
	if (gdk_pixbuf_loader_write(loader, buf, len, NULL) && gdk_pixbuf_loader_close(loader, NULL)) {
		GdkPixbuf *pixbuf = gdk_pixbuf_loader_get_pixbuf(loader);
		GList *icons = NULL;
		int sizes[] = {16, 24, 32, 48, 64, 128, 256};
		for (int i = 0; i < 7; i++) {
			icons = g_list_append(icons, gdk_pixbuf_scale_simple(pixbuf, sizes[i], sizes[i], GDK_INTERP_BILINEAR));
		}
		icons = g_list_append(icons, g_object_ref(pixbuf));
		gtk_window_set_default_icon_list(icons);
		GList *wins = gtk_window_list_toplevels();
		for (GList *w = wins; w != NULL; w = w->next) {
			gtk_window_set_icon_list(GTK_WINDOW(w->data), icons);
		}
		g_list_free(wins);
		g_list_free_full(icons, g_object_unref);
	} else {
		gdk_pixbuf_loader_close(loader, NULL);
	}
	g_object_unref(loader);
	g_bytes_unref(bytes);
	return G_SOURCE_REMOVE;
}

static void setIconsOnMainThread(const void *buf, size_t len) {
	g_idle_add(setIcons, g_bytes_new(buf, len));
}
*/
import "C"

import "unsafe"

// setWindowIcon sets the window's icon (_NET_WM_ICON) from a PNG, on the
// GTK main thread.
func setWindowIcon(png []byte) {
	if len(png) == 0 {
		return
	}
	C.setIconsOnMainThread(unsafe.Pointer(&png[0]), C.size_t(len(png)))
}

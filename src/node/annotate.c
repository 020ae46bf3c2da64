#include "annotate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define GLYPH_W 5
#define GLYPH_H 7

/* A 5x7 font: each glyph's 7 rows of 5 columns, joined, '#' for ink. */
static const struct {
    char c;
    const char *rows;
} font[] = {
    {'0', ".###.#...##..###.#.###..##...#.###."}, {'1', "..#...##....#....#....#....#...###."},
    {'2', ".###.#...#....#...#...#...#...#####"}, {'3', "#####...#...#.....#.....##...#.###."},
    {'4', "...#...##..#.#.#..#.#####...#....#."}, {'5', "######....####.....#....##...#.###."},
    {'6', "..##..#...#....####.#...##...#.###."}, {'7', "#####....#...#...#...#....#....#..."},
    {'8', ".###.#...##...#.###.#...##...#.###."}, {'9', ".###.#...##...#.####....#...#..##.."},
    {'a', "...........###.....#.#####...#.####"}, {'b', "#....#....#.##.##..##...##...#####."},
    {'c', "...........###.#....#....#...#.###."}, {'d', "....#....#.##.##..###...##...#.####"},
    {'e', "...........###.#...#######.....###."}, {'f', "..##..#..#.#...###...#....#....#..."},
    {'g', "......#####...##...#.####....#.###."}, {'h', "#....#....#.##.##..##...##...##...#"},
    {'i', "..#........##....#....#....#...###."}, {'j', "...#........##....#....#.#..#..##.."},
    {'k', "#....#....#..#.#.#..##...#.#..#..#."}, {'l', ".##....#....#....#....#....#...###."},
    {'m', "..........##.#.#.#.##.#.##...##...#"}, {'n', "..........#.##.##..##...##...##...#"},
    {'o', "...........###.#...##...##...#.###."}, {'p', "..........####.#...#####.#....#...."},
    {'q', "...........##.##..##.####....#....#"}, {'r', "..........#.##.##..##....#....#...."},
    {'s', "...........###.#.....###.....#####."}, {'t', ".#....#...###...#....#....#..#..##."},
    {'u', "..........#...##...##...##..##.##.#"}, {'v', "..........#...##...##...#.#.#...#.."},
    {'w', "..........#...##...##.#.##.#.#.#.#."}, {'x', "..........#...#.#.#...#...#.#.#...#"},
    {'y', "..........#...##...#.####....#.###."}, {'z', "..........#####...#...#...#...#####"},
    {'#', ".#.#..#.#.#####.#.#.#####.#.#..#.#."}, {'.', "..........................##...##.."},
    {'-', "...............#####..............."}, {'_', "..............................#####"},
    {':', "......##...##........##...##......."}, {'%', "##...##..#...#...#...#...#..##...##"},
    {'/', ".........#...#...#...#...#........."}, {' ', "..................................."},
    {'?', ".###.#...#....#...#...#.........#.."},
};

static const char *glyph(char c)
{
    c = (char)tolower((unsigned char)c);
    for (size_t i = 0; i < sizeof font / sizeof font[0]; i++) {
        if (font[i].c == c) {
            return font[i].rows;
        }
    }
    return glyph('?');
}

static void put(uint8_t *rgb, int width, int height, int x, int y, const uint8_t c[3])
{
    if (x >= 0 && y >= 0 && x < width && y < height) {
        memcpy(rgb + ((size_t)y * (size_t)width + (size_t)x) * 3, c, 3);
    }
}

static void fill(uint8_t *rgb, int width, int height, int x0, int y0, int w, int h,
                 const uint8_t c[3])
{
    for (int y = y0; y < y0 + h; y++) {
        for (int x = x0; x < x0 + w; x++) {
            put(rgb, width, height, x, y, c);
        }
    }
}

void annotate_text(uint8_t *rgb, int width, int height, int x, int y, int scale, const char *text,
                   const uint8_t colour[3])
{
    for (const char *p = text; *p; p++, x += (GLYPH_W + 1) * scale) {
        const char *g = glyph(*p);
        size_t n = strlen(g);
        for (size_t i = 0; i < n && i < GLYPH_W * GLYPH_H; i++) {
            if (g[i] == '#') {
                fill(rgb, width, height, x + (int)(i % GLYPH_W) * scale,
                     y + (int)(i / GLYPH_W) * scale, scale, scale, colour);
            }
        }
    }
}

void annotate_colour(uint64_t track_id, uint8_t rgb[3])
{
    static const uint8_t palette[][3] = {{255, 40, 40}, {40, 220, 40}, {40, 90, 255},
                                         {255, 200, 0}, {255, 0, 220}, {0, 220, 255}};
    memcpy(rgb, palette[track_id % (sizeof palette / sizeof palette[0])], 3);
}

int annotate_thickness(int height)
{
    return height / 160 > 3 ? height / 160 : 3;
}

void annotate_draw(uint8_t *rgb, int width, int height, const tracked *tracks, size_t n)
{
    static const uint8_t black[3] = {0, 0, 0};
    int t = annotate_thickness(height);
    int scale = height >= 720 ? 3 : 2;
    for (size_t i = 0; i < n; i++) {
        const box b = tracks[i].det.b;
        uint8_t c[3];
        annotate_colour(tracks[i].track_id, c);
        fill(rgb, width, height, b.x, b.y, b.w, t, c);
        fill(rgb, width, height, b.x, b.y + b.h - t, b.w, t, c);
        fill(rgb, width, height, b.x, b.y, t, b.h, c);
        fill(rgb, width, height, b.x + b.w - t, b.y, t, b.h, c);
        char label[96];
        snprintf(label, sizeof label, "#%llu %s %.2f", (unsigned long long)tracks[i].track_id,
                 tracks[i].det.class_name ? tracks[i].det.class_name : "object",
                 tracks[i].det.confidence);
        int lw = (int)strlen(label) * (GLYPH_W + 1) * scale + scale;
        int lh = (GLYPH_H + 2) * scale;
        /* Above the box, or inside it at the top of the frame. */
        int ly = b.y - lh >= 0 ? b.y - lh : b.y + t;
        fill(rgb, width, height, b.x, ly, lw, lh, c);
        annotate_text(rgb, width, height, b.x + scale, ly + scale, scale, label, black);
    }
}

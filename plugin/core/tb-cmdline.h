/* The shape of a typed command line, as pure decisions: which word starts it (and whether it was
 * typed with "!"), how its arguments split for each kind of command, and "nick: text" (a reply
 * to that person's newest post in the thread). The command table itself, with what each command
 * does, stays in purple/tb-cmds.c; each entry names one of these shapes, as libpurple IRC's
 * _irc_cmds[] format strings declare both the parse and the registration.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TB_CMDLINE_H
#define TB_CMDLINE_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  TB_ARGS_NONE,      /* "limits" */
  TB_ARGS_WORD,      /* "rt <id>" */
  TB_ARGS_OPT_WORD,  /* "retry [oN]" */
  TB_ARGS_TEXT,      /* "post <text>": the whole rest of the line */
  TB_ARGS_WORD_TEXT, /* "reply <id> <text>" */
} TbCmdArgs;

/* The first word of text, without a leading "!" (*explicit says whether there was one), and in
 * *args where its arguments start. Newly allocated; "" for an empty line. */
char *tb_cmdline_word(const char *text, gboolean *explicit, const char **args);

/* Splits a command's arguments (spaces around them trimmed) by shape: *word and *rest, each
 * NULL when absent (TB_ARGS_TEXT: the whole line in *rest). FALSE, both NULL, when the line does
 * not fit the shape. */
gboolean tb_cmdline_split(TbCmdArgs shape, const char *line, char **word, char **rest);

/* "alice: text" or "@alice: text" (a nick with no space in it, then ": "): the nick lower-cased
 * and without "@", with *text_out pointing at the text after ": ". NULL if text is not that. */
char *tb_cmdline_nick_reply(const char *text, const char **text_out);

/* What a line meant for the public looks like: ordinary text, terminal escape garbage (an ESC or
 * another control character, or nothing but cursor-key codes such as "^[[A", "[A" or "OB": seen
 * posted when a terminal's arrow keys reached the input line), or one lone command word (from
 * words, NULL-terminated; "/", "!" or "." before it and punctuation after it allowed). */
typedef enum {
  TB_LINE_TEXT,
  TB_LINE_ESCAPES,
  TB_LINE_LONE_COMMAND,
} TbLineShape;

TbLineShape tb_cmdline_shape(const char *text, const char *const *words);

G_END_DECLS

#endif

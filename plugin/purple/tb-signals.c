/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tb-signals.h"
#include "twinbird.h"

static PurplePlugin *signal_owner;

/* libpurple ships marshallers up to five pointers; ours carry seven. */
static void
marshal_7_pointers(PurpleCallback cb, va_list args, void *data, void **return_val)
{
  void *a[7];
  (void)return_val;
  for (int i = 0; i < 7; i++)
    a[i] = va_arg(args, void *);
  ((void (*)(void *, void *, void *, void *, void *, void *, void *, void *))cb)(
      a[0], a[1], a[2], a[3], a[4], a[5], a[6], data);
}

static const struct {
  const char *name;
  int n_strings; /* after the account */
} signal_table[] = {
    {TWINBIRD_SIGNAL_MESSAGE_SENT, 6},
    {TWINBIRD_SIGNAL_DM_RECEIVED, 4},
    {TWINBIRD_SIGNAL_MENTION_RECEIVED, 6},
};

void
tb_signals_register(PurplePlugin *plugin)
{
  signal_owner = plugin;
  for (gsize i = 0; i < G_N_ELEMENTS(signal_table); i++) {
    PurpleValue *values[7];
    int n = signal_table[i].n_strings + 1;
    values[0] = purple_value_new(PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_ACCOUNT);
    for (int v = 1; v < n; v++)
      values[v] = purple_value_new(PURPLE_TYPE_STRING);
    PurpleSignalMarshalFunc marshal =
        n == 7 ? marshal_7_pointers : purple_marshal_VOID__POINTER_POINTER_POINTER_POINTER_POINTER;
    if (n == 7)
      purple_signal_register(plugin, signal_table[i].name, marshal, NULL, 7, values[0], values[1],
                             values[2], values[3], values[4], values[5], values[6]);
    else
      purple_signal_register(plugin, signal_table[i].name, marshal, NULL, 5, values[0], values[1],
                             values[2], values[3], values[4]);
  }
}

void
tb_signals_unregister(PurplePlugin *plugin)
{
  purple_signals_unregister_by_instance(plugin);
  signal_owner = NULL;
}

void
tb_signals_emit_sent(PurpleAccount *account, const char *role, const char *tag, const char *kind,
                     const char *id, const char *target, const char *text)
{
  if (signal_owner)
    purple_signal_emit(signal_owner, TWINBIRD_SIGNAL_MESSAGE_SENT, account, role, tag, kind, id,
                       target ? target : "", text);
}

void
tb_signals_emit_dm(PurpleAccount *account, const char *role, const char *id, const char *sender,
                   const char *text)
{
  if (signal_owner)
    purple_signal_emit(signal_owner, TWINBIRD_SIGNAL_DM_RECEIVED, account, role, id, sender, text);
}

void
tb_signals_emit_mention(PurpleAccount *account, const char *role, const char *id,
                        const char *short_id, const char *author, const char *conversation_id,
                        const char *text)
{
  if (signal_owner)
    purple_signal_emit(signal_owner, TWINBIRD_SIGNAL_MENTION_RECEIVED, account, role, id, short_id,
                       author, conversation_id, text);
}

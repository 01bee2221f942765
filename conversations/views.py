"""Conversations > Chatflows: the list, create and edit (with R7's toggle and the install snippet), and each
chatflow's transcripts, where agents reply.

Chatflows need `conversations.view_chatflow` to be seen, `add_chatflow` to be created and `change_chatflow`
to be edited or to have their marketing setting switched (which also needs Marketing contact access, R30,
checked by the service), and so does switching on a chatflow whose setting is on. Transcripts need
`conversations.view_conversation`; replying needs `change_conversation`. Refusals are 403 and change nothing.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from capture.views import setting_context, setting_switch
from conversations.forms import ChatflowForm, ReplyForm
from conversations.models import Chatflow, Conversation
from conversations.policy import MessageInvalid
from conversations.selectors import chatflow_switch_on_needs_access, chatflows_list, conversations_of, transcript
from conversations.services import ChatflowInvalid, ConversationFull, agent_reply, chatflow_create, chatflow_update
from crm.addresses import public_base_url
from crm.decorators import requires
from crm.refusals import Refused, refused
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor, MarketingStatusPermissionDenied
from marketing_status.policy import CreationTool

VIEW_PERMISSION = "conversations.view_chatflow"
ADD_PERMISSION = "conversations.add_chatflow"
CHANGE_PERMISSION = "conversations.change_chatflow"
VIEW_CONVERSATIONS = "conversations.view_conversation"
REPLY_PERMISSION = "conversations.change_conversation"
PER_PAGE = 50
SETTING_LABEL = "Set created contacts as marketing contacts"
# R30: shown by "On" where switching the chatflow on would start it creating marketing contacts.
SWITCH_ON_LOCKED = (
    "This chatflow creates marketing contacts: switching it on needs the Marketing contact access permission."
)
NEW_CHATFLOW = {
    "welcome_message": "Hi! How can we help you today?",
    "email_prompt": "What is your email address, so that we can get back to you?",
    "thanks_message": "Thanks! Someone from our team will reply here shortly.",
    "is_enabled": True,
}


def widget_snippet(request, chatflow: Chatflow) -> str:
    """The tag to paste on a site: the widget script at the app's public address, naming the chatflow."""
    src = public_base_url(request) + reverse("conversations_public:widget_js")
    return f'<script src="{src}" data-chatflow="{chatflow.public_id}" async></script>'


@requires(VIEW_PERMISSION)
def index(request):
    context = {
        "title": "Chatflows",
        "section": "conversations",
        "chatflows": chatflows_list(),
        "may_add": request.user.has_perm(ADD_PERMISSION),
        "may_read": request.user.has_perm(VIEW_CONVERSATIONS),
    }
    return render(request, "conversations/index.html", context)


def _form_errors(form: ChatflowForm, invalid: ChatflowInvalid) -> None:
    for field, message in invalid.errors.items():
        form.add_error(field if field in form.fields else None, message)


@requires(ADD_PERMISSION)
@require_http_methods(["GET", "POST"])
def create(request):
    form = ChatflowForm(request.POST or None, initial=NEW_CHATFLOW)
    if request.method == "POST" and form.is_valid():
        try:
            chatflow = chatflow_create(**form.cleaned_data, actor=Actor.for_user(request.user))
        except ChatflowInvalid as invalid:
            _form_errors(form, invalid)
        else:
            messages.success(request, f"Chatflow “{chatflow.name}” created. Paste the install code on your site.")
            return redirect("conversations:edit", pk=chatflow.pk)
    context = {"title": "New chatflow", "section": "conversations", "form": form}
    return render(request, "conversations/create.html", context, status=400 if form.errors else 200)


def _edit_context(request, chatflow: Chatflow, form: ChatflowForm) -> dict:
    context = {
        "title": chatflow.name,
        "section": "conversations",
        "chatflow": chatflow,
        "form": form,
        "may_change": request.user.has_perm(CHANGE_PERMISSION),
        "may_read": request.user.has_perm(VIEW_CONVERSATIONS),
        "snippet": widget_snippet(request, chatflow),
    }
    return context | setting_context(
        request=request,
        tool=CreationTool.CHATFLOW,
        source_id=chatflow.source_id,
        action_url=reverse("conversations:marketing_setting", args=[chatflow.pk]),
        label=SETTING_LABEL,
    )


def _initial(chatflow: Chatflow) -> dict:
    return {name: getattr(chatflow, name) for name in ChatflowForm.base_fields}


def _chatflow_form(request, chatflow: Chatflow) -> ChatflowForm:
    """The chatflow's settings; "On" disabled (and kept as stored) where switching on needs access (R30)."""
    form = ChatflowForm(request.POST or None, initial=_initial(chatflow))
    if chatflow_switch_on_needs_access(chatflow=chatflow) and not Actor.for_user(request.user).may_change_status():
        form.fields["is_enabled"].disabled = True
        form.fields["is_enabled"].help_text = SWITCH_ON_LOCKED
    return form


@requires(VIEW_PERMISSION)
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    """The chatflow's settings, R7's toggle with its history, and the install snippet. POST saves."""
    chatflow = get_object_or_404(Chatflow, pk=pk)
    if request.method == "POST" and not request.user.has_perm(CHANGE_PERMISSION):
        raise Refused(permission=CHANGE_PERMISSION)
    form = _chatflow_form(request, chatflow)
    if request.method == "POST" and form.is_valid():
        try:
            chatflow_update(chatflow=chatflow, actor=Actor.for_user(request.user), **form.cleaned_data)
        except ChatflowInvalid as invalid:
            _form_errors(form, invalid)
        except MarketingStatusPermissionDenied as refusal:  # R30: its setting was switched on meanwhile
            return refused(request, str(refusal), permission=MARKETING_ACCESS_PERMISSION, section="conversations")
        else:
            messages.success(request, "Chatflow saved.")
            return redirect("conversations:edit", pk=chatflow.pk)
    status = 400 if form.errors else 200
    return render(request, "conversations/edit.html", _edit_context(request, chatflow, form), status=status)


@requires(CHANGE_PERMISSION)
@require_POST
def marketing_setting(request, pk: int):
    """R7: switch "Set created contacts as marketing contacts" (needs Marketing contact access, R30)."""
    chatflow = get_object_or_404(Chatflow, pk=pk)
    refusal = setting_switch(
        request=request, tool=CreationTool.CHATFLOW, source_id=chatflow.source_id, name=f"Chatflow “{chatflow.name}”"
    )
    return refusal or redirect(reverse("conversations:edit", args=[chatflow.pk]) + "#marketing-setting")


@requires(VIEW_CONVERSATIONS)
def conversations(request, pk: int):
    """A chatflow's conversations, most recent first."""
    chatflow = get_object_or_404(Chatflow, pk=pk)
    page = Paginator(conversations_of(chatflow=chatflow), PER_PAGE).get_page(request.GET.get("page"))
    context = {"title": f"{chatflow.name}: conversations", "section": "conversations", "chatflow": chatflow}
    context["page"] = page
    return render(request, "conversations/conversations.html", context)


def _conversation(chatflow_pk: int, pk: int) -> Conversation:
    return get_object_or_404(Conversation.objects.select_related("chatflow", "contact"), pk=pk, chatflow_id=chatflow_pk)


def _render_conversation(request, conversation: Conversation, form: ReplyForm, *, status: int = 200):
    context = {
        "title": f"Conversation {conversation.pk}",
        "section": "conversations",
        "conversation": conversation,
        "chatflow": conversation.chatflow,
        "transcript": transcript(conversation=conversation),
        "form": form,
        "may_reply": request.user.has_perm(REPLY_PERMISSION),
    }
    return render(request, "conversations/conversation.html", context, status=status)


@requires(VIEW_CONVERSATIONS)
def conversation(request, chatflow_pk: int, pk: int):
    """The transcript, the visitor's contact, and the reply box."""
    return _render_conversation(request, _conversation(chatflow_pk, pk), ReplyForm())


@requires(REPLY_PERMISSION)
@require_POST
def reply(request, chatflow_pk: int, pk: int):
    """An agent's reply: stored, and shown in the visitor's widget on its next poll."""
    conversation = _conversation(chatflow_pk, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            agent_reply(conversation=conversation, text=form.cleaned_data["text"], actor=Actor.for_user(request.user))
        except ConversationFull:
            form.add_error(None, "This conversation is full: it takes no more messages.")
        except MessageInvalid as invalid:
            form.add_error("text", str(invalid))
        else:
            return redirect(reverse("conversations:conversation", args=[conversation.chatflow_id, conversation.pk]))
    return _render_conversation(request, conversation, form, status=400)
